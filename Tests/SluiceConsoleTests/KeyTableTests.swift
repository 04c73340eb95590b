import Foundation
import Testing
@testable import SluiceConsole

@Suite struct KeyTableTests {
    /// A key means one thing per scope, so the table (and everything generated from it) is unambiguous.
    @Test func noKeyIsBoundTwiceInOneScope() {
        for scope in KeyScope.allCases {
            var seen: [Key: Action] = [:]
            for b in KeyTable.bindings where b.scope == scope {
                for key in b.keys {
                    #expect(seen[key] == nil, "\(key.label) is bound twice in \(scope.rawValue)")
                    seen[key] = b.action
                }
            }
        }
    }

    @Test func footerHintsComeFromTheTableAndDependOnThePageAndMode() {
        var s = Fixtures.state(page: .brokers)
        let embedded = FooterView.hints(s).map(\.1)
        #expect(embedded.contains("kill") && embedded.contains("restart") && embedded.first == "help" && embedded.last == "quit")
        s.mode = .remote(bootstrap: "k:9092")
        #expect(!FooterView.hints(s).map(\.1).contains("kill"))
        s.page = .tail
        #expect(FooterView.hints(s).map(\.1).contains("pause"))
    }

    @Test func dangerousActionsAreMarked() {
        let dangerous = KeyTable.bindings.filter(\.dangerous).map(\.action)
        #expect(Set(dangerous) == [.killBroker, .restartBroker, .deleteTopic])
    }

    @Test func readmeTableListsEveryBinding() {
        let doc = KeybindingDoc.markdown()
        for b in KeyTable.bindings {
            let escaped = b.help.replacingOccurrences(of: "|", with: "\\|")
            #expect(doc.contains(escaped), "\(b.help) missing from the README table")
        }
    }
}
