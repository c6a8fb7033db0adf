import Hummingbird

/// The per-request context every route receives.
public struct CreditRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }
}
