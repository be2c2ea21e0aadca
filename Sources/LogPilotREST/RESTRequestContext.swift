public import Hummingbird
public import NIOCore

/// The REST front's request context: Hummingbird's core context plus the peer address (per-client rate limits).
public struct RESTRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer; a proxy's address when the client comes through one (see `TrustedProxies`).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
