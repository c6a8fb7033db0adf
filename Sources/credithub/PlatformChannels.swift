import CreditKernel
import InterfaceAdapter
import Server

/// The collection channels this executable serves: its adapters, the console's upload and the
/// command line.
enum PlatformChannels {
    static let adapters = {
        var adapters = AdapterRegistry()
        adapters.register(InterfaceAdapter<CreditRequestContext>.self)
        return adapters
    }()

    /// Served without an adapter type of their own.
    static let alsoServed: Set<CollectionChannel> = [.terminalUpload, .commandLine]

    /// A warning for each resource of `resources` that can receive no data here, because the
    /// catalogue allows it only channels this platform does not serve.
    static func unservedResourceWarnings(_ resources: [Resource]) -> [(resource: String, message: String)] {
        adapters.resourcesWithoutChannel(resources, alsoServed: alsoServed).map { resource in
            (
                resource.id,
                "\(resource.id) is allowed only \(resource.channels.map(\.rawValue).joined(separator: ", ")), which this platform does not serve: it can receive no data"
            )
        }
    }
}
