import HTTPTypes

/// Development mode (`serve --development`): a request may name its unit in a header instead of
/// authenticating, and acts as that unit's provider system. Never enable it in production.
public enum DevelopmentIdentity {
    public static let unitHeader = HTTPField.Name("X-CreditHub-Source-Unit")!
    public static let actorHeader = HTTPField.Name("X-CreditHub-Actor")!
}
