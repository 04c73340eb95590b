import Testing
@testable import SluiceBroker

@Suite struct ResponseOrderingTests {
    @Test func releasesInRequestOrderWhateverTheCompletionOrder() {
        var ordering = ResponseOrdering<String>()
        let a = ordering.admit(), b = ordering.admit(), c = ordering.admit()
        #expect(ordering.finish(c, .respond("c")).isEmpty)
        #expect(ordering.finish(b, .silent).isEmpty)
        let released = ordering.finish(a, .respond("a"))
        #expect(released.count == 3)
        if case let .respond(first) = released[0] { #expect(first == "a") } else { Issue.record("a first") }
        if case .silent = released[1] {} else { Issue.record("b is silent") }
        if case let .respond(last) = released[2] { #expect(last == "c") } else { Issue.record("c last") }
        #expect(ordering.inFlight == 0)
    }

    @Test func drainReturnsWhatWasHeldBack() {
        var ordering = ResponseOrdering<Int>()
        _ = ordering.admit()
        let second = ordering.admit()
        _ = ordering.finish(second, .respond(2))
        #expect(ordering.drain().count == 1)
        #expect(ordering.inFlight == 0)
    }
}
