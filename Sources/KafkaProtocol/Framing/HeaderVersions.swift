extension ApiKey {
    /// Whether `version` of this API's request uses the flexible encoding.
    public func isFlexibleRequest(_ version: Int16) -> Bool {
        firstFlexibleRequestVersion.map { version >= $0 } ?? false
    }

    /// Whether `version` of this API's response uses the flexible encoding.
    public func isFlexibleResponse(_ version: Int16) -> Bool {
        firstFlexibleResponseVersion.map { version >= $0 } ?? false
    }

    /// The request header version for a request of this API at `version`: 2 for flexible
    /// versions, 1 otherwise (0 only for ControlledShutdown v0, which predates client ids).
    public func requestHeaderVersion(_ version: Int16) -> Int16 {
        if isFlexibleRequest(version) { return 2 }
        if self == .controlledShutdown && version == 0 { return 0 }
        return 1
    }

    /// The response header version: 1 for flexible versions, 0 otherwise, and always 0 for
    /// ApiVersions, so that a client that does not yet know the broker's versions can read it.
    public func responseHeaderVersion(_ version: Int16) -> Int16 {
        if self == .apiVersions { return 0 }
        return isFlexibleResponse(version) ? 1 : 0
    }
}
