import ServiceLifecycle

/// Runs a service's loop until the service group shuts down gracefully; the cancellation that ends it then
/// is the normal end of the service, not a failure (which would cancel the whole group instead of letting
/// the decision loop finish its bar and persist).
func untilGracefulShutdown(_ body: @escaping @Sendable () async throws -> Void) async throws {
    do {
        try await cancelWhenGracefulShutdown(body)
    } catch is CancellationError where Task.isShuttingDownGracefully {
        return
    }
}
