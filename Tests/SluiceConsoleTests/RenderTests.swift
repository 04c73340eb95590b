import Foundation
import Testing
@testable import SluiceConsole

@Suite struct RenderTests {
    @Test func widthsAndSanitizing() {
        #expect(TextWidth.columns(of: "abc") == 3)
        #expect(TextWidth.columns(of: "日本") == 4)
        #expect(TextWidth.columns(of: "e\u{301}") == 1)
        #expect(TextWidth.sanitized("a\u{1b}[31mb\nc\td") == "a·[31mb↵c d")
        #expect(TextWidth.sanitized("é\n", ascii: true) == "?|")
        #expect(TextWidth.truncated("abcdef", to: 4) == "abc…")
        #expect(TextWidth.truncated("日本語", to: 4) == "日…")
        #expect(TextWidth.padded("ab", to: 4, alignRight: true) == "  ab")
    }

    @Test func gridClipsAndKeepsWideCharactersWhole() {
        var grid = CellGrid(width: 5, height: 1, fill: Cell(" ", .text))
        #expect(grid.put("ab日本", x: 0, y: 0, role: .text) == 5)
        #expect(grid.line(0) == "ab日 ")  // the second wide character would straddle the edge
        grid.put("x", x: 3, y: 0, role: .text)  // overwrite the right half of 日
        #expect(grid.line(0) == "ab x ")
        #expect(grid[2, 0].character == " " && !grid[3, 0].isContinuation)
        #expect(grid.put("zz", x: 7, y: 0, role: .text) == 0 && grid.put("zz", x: 0, y: 3, role: .text) == 0)
    }

    @Test func textFieldEditing() {
        var f = TextField("hello world")
        _ = f.handle(.ctrl("w"))
        #expect(f.text == "hello " && f.cursor == 6)
        _ = f.handle(.home)
        _ = f.handle(.char(">"))
        _ = f.handle(.delete)
        #expect(f.text == ">ello ")
        _ = f.handle(.end)
        _ = f.handle(.backspace)
        _ = f.handle(.left)
        _ = f.handle(.char("_"))
        #expect(f.text == ">ell_o")
        _ = f.handle(.ctrl("u"))
        #expect(f.text == "o" && f.cursor == 0)
        let handledUp = f.handle(.up)
        #expect(!handledUp)
        var limited = TextField("", limit: 2)
        for c in "abc" { _ = limited.handle(.char(c)) }
        #expect(limited.text == "ab")
    }

    @Test func jsonIsPrettyPrintedInItsOwnKeyOrder() throws {
        let lines = try #require(JSONPretty.lines(#"{"z":1,"a":[true,null,"s"],"e":{}}"#))
        #expect(lines.map { $0.map(\.text).joined() } == ["{", "  \"z\": 1,", "  \"a\": [", "    true,", "    null,", "    \"s\"",
                                                          "  ],", "  \"e\": {}", "}"])
        #expect(lines[1].contains { $0.role == .jsonKey } && lines[1].contains { $0.role == .jsonNumber })
        #expect(JSONPretty.lines("{\"a\":}") == nil)
        #expect(JSONPretty.lines("plain text") == nil)
        #expect(JSONPretty.lines("[1] 2") == nil)
        #expect(JSONPretty.lines(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)) == nil)
    }

    @Test func formatting() {
        #expect(Format.count(999) == "999" && Format.count(1234) == "1.2k" && Format.count(2_500_000) == "2.5M")
        #expect(Format.rate(0) == "0" && Format.rate(3.25) == "3.2" && Format.rate(1500) == "1.5k")
        #expect(Format.bytes(512) == "512 B" && Format.bytes(1536) == "1.5 KiB" && Format.bytes(50 * 1024 * 1024) == "50 MiB")
        #expect(Format.megabytesPerSecond(1_250_000) == "1.25")
        #expect(Format.duration(0.0008) == "800µs" && Format.duration(0.25) == "250ms" && Format.duration(125) == "2m05s")
        #expect(Format.timestamp(millis: 1_714_564_800_123, zone: TimeZone(identifier: "UTC")!) == "2024-05-01 12:00:00.123")
        #expect(Format.timestamp(millis: 951_782_400_007, zone: TimeZone(identifier: "UTC")!) == "2000-02-29 00:00:00.007")
        #expect(Format.timestamp(millis: 0, zone: TimeZone(secondsFromGMT: 3600)!) == "1970-01-01 01:00:00.000")
        #expect(Format.clock(1_714_564_800, zone: TimeZone(identifier: "Asia/Tokyo")!) == "21:00:00")
    }

    @Test func narrowTablesDropLowPriorityColumnsFirst() {
        let columns = [TableColumn("a", width: 10, priority: 100), TableColumn("b", width: 10, priority: 10),
                       TableColumn("c", width: 10, flex: 1, priority: 50)]
        #expect(TableRenderer.layout(columns, width: 40) == [10, 10, 17])
        #expect(TableRenderer.layout(columns, width: 25) == [10, nil, 13])
        #expect(TableRenderer.scroll(selected: 30, scrollTop: 0, visible: 10, count: 40) == 21)
        #expect(TableRenderer.scroll(selected: 5, scrollTop: 21, visible: 10, count: 40) == 5)
    }

    @Test func timesForSeeking() {
        let utc = TimeZone(identifier: "UTC")!
        #expect(Commands.parseTime("2024-05-01T12:00:00", now: 0, zone: utc) == 1_714_564_800_000)
        #expect(Commands.parseTime("2024-05-01 12:00", now: 0, zone: utc) == 1_714_564_800_000)
        #expect(Commands.parseTime("-5m", now: 1000, zone: utc) == 700_000)
        #expect(Commands.parseTime("1714564800000", now: 0, zone: utc) == 1_714_564_800_000)
        #expect(Commands.parseTime("yesterday", now: 0, zone: utc) == nil)
        #expect(Commands.parseTime("2024-13-01", now: 0, zone: utc) == nil)
    }

    @Test func topicFormRules() {
        #expect(NewTopicForm.topicNameProblem("orders.v2_x-y") == nil)
        #expect(NewTopicForm.topicNameProblem("bad name") != nil && NewTopicForm.topicNameProblem("..") != nil)
        #expect(NewTopicForm.topicNameProblem(String(repeating: "a", count: 250)) != nil)
        #expect(NewTopicForm.retentionMillis("7d") == 604_800_000 && NewTopicForm.retentionMillis("forever") == -1)
        #expect(NewTopicForm.retentionMillis("90s") == 90_000 && NewTopicForm.retentionMillis("soon") == nil)
        #expect(NewTopicForm.retentionMillis("0") == nil)
    }
}
