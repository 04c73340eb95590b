import NIOCore

extension EventLoop {
    /// Runs `step` for each element in turn, the next once the previous one completed, and
    /// collects the results in order (a request's topics are changed one after another, as
    /// before: a later one may depend on an earlier one).
    func sequentially<Element: Sendable, Result: Sendable>(
        _ elements: [Element], _ step: @escaping @Sendable (Element) -> EventLoopFuture<Result>
    ) -> EventLoopFuture<[Result]> {
        var future = makeSucceededFuture([Result]())
        for element in elements {
            future = future.flatMap { results in step(element).map { results + [$0] } }
        }
        return future
    }
}
