import Crypto
import Foundation

/// A set of resources: what the platform may collect and share.
public struct Catalogue: Sendable {
    public private(set) var resources: [Resource]

    public init(resources: [Resource]) {
        self.resources = resources
    }

    public func resource(_ id: String) -> Resource? {
        resources.first { $0.id == id }
    }

    /// One catalogue file's text and the name problems are reported against.
    public struct Source: Sendable {
        public var name: String
        public var text: String

        public init(name: String, text: String) {
            self.name = name
            self.text = text
        }
    }

    /// Parses and validates catalogue files, reporting every problem in every file.
    public static func parse(_ sources: [Source]) throws(CatalogueValidationError) -> Catalogue {
        var problems: [CatalogueProblem] = []
        var resources: [Resource] = []
        var declaredIn: [String: String] = [:]
        for source in sources {
            let (resource, fileProblems) = Resource.parse(yaml: source.text, file: source.name)
            problems += fileProblems
            guard let resource else { continue }
            if let other = declaredIn[resource.id] {
                problems.append(
                    CatalogueProblem(file: source.name, line: 1, column: 1, message: "resource id '\(resource.id)' is already declared in \(other)")
                )
                continue
            }
            declaredIn[resource.id] = source.name
            resources.append(resource)
        }
        guard problems.isEmpty else { throw CatalogueValidationError(problems: problems) }
        return Catalogue(resources: resources)
    }

    /// Reads and validates catalogue files from disk.
    public static func load(paths: [String]) throws(CatalogueValidationError) -> Catalogue {
        var sources: [Source] = []
        var problems: [CatalogueProblem] = []
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                problems.append(CatalogueProblem(file: path, line: 0, column: 0, message: "cannot read the file"))
                continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                problems.append(CatalogueProblem(file: path, line: 0, column: 0, message: "the file is not UTF-8 text"))
                continue
            }
            sources.append(Source(name: path, text: text))
        }
        let catalogue: Catalogue
        do {
            catalogue = try parse(sources)
        } catch {
            throw CatalogueValidationError(problems: problems + error.problems)
        }
        guard problems.isEmpty else { throw CatalogueValidationError(problems: problems) }
        return catalogue
    }

    /// One resource of the catalogue that ships with CreditHub, read from its own file only: a
    /// command that needs one resource starts without parsing them all (YAML parsing was a fifth
    /// of a small `credithub validate`).
    public static func standardResource(_ id: String) -> Resource? {
        if let file = DefaultCatalogueFiles.all.first(where: { $0.name == "\(id).yaml" }),
            let resource = Resource.parse(yaml: file.text, file: "catalog/\(file.name)").resource, resource.id == id
        {
            return resource
        }
        return standard.resource(id)
    }

    /// The catalogue that ships with CreditHub (the files under `catalog/`, embedded at build time).
    public static let standard: Catalogue = {
        do {
            return try parse(DefaultCatalogueFiles.all.map { Source(name: "catalog/\($0.name)", text: $0.text) })
        } catch {
            // The embedded files are checked by the test suite; reaching this is a build defect.
            preconditionFailure("the embedded default catalogue is invalid:\n\(error)")
        }
    }()
}

extension Resource {
    /// SHA-256 over the canonical JSON form: two imports of the same definition have the same digest.
    public var contentDigest: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a value type of plain strings, numbers and enums cannot fail.
        let data = (try? encoder.encode(self)) ?? Data()
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
