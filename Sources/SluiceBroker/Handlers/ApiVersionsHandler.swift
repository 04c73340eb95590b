import KafkaProtocol
import NIOCore

/// ApiVersions (key 18), versions 0-4.
///
/// - v0: the key ranges. v1+: throttle time. v3+: flexible, client software name/version
///   (accepted, logged at debug level), supported features (none) and finalized features (none,
///   epoch -1).
/// - The response header is always v0 (see `ApiKey.responseHeaderVersion`).
/// - A version above 4 never reaches this handler: the registry answers UNSUPPORTED_VERSION in
///   the v0 layout listing this key's range.
/// - The key list comes from the ``HandlerRegistry``: only implemented APIs are advertised.
struct ApiVersionsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...4
    let advertised: [(key: ApiKey, versions: ClosedRange<Int16>)]

    func handle(_ request: ApiVersionsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<ApiVersionsResponse>> {
        let keys = advertised.map {
            ApiVersionsResponse.ApiVersion(apiKey: $0.key.rawValue, minVersion: $0.versions.lowerBound,
                                           maxVersion: $0.versions.upperBound)
        }
        return reply(ApiVersionsResponse(errorCode: 0, apiKeys: keys, throttleTimeMs: 0), context)
    }
}
