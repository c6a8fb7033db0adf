import CreditKernel
import Foundation

/// The JSON form both backends store resource definitions in.
public enum CatalogueJSON {
    public static func encode(_ resource: Resource) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(resource), as: UTF8.self)
    }

    public static func decode(_ json: String) throws -> Resource {
        try JSONDecoder().decode(Resource.self, from: Data(json.utf8))
    }
}
