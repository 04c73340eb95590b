import SluiceBase
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct PosixTests {
    private func scratch() throws -> String {
        var template = Array("/tmp/sluice-base-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            mkdtemp(buffer.baseAddress!).map { String(cString: $0) }
        }
        return try #require(made)
    }

    @Test func makeDirectoryCreatesParentsAndRemoveTreeRemovesEverything() throws {
        let root = try scratch()
        try Posix.makeDirectory(root + "/a/b/c")
        try Posix.makeDirectory(root + "/a/b/c")   // already there: fine
        #expect(Posix.isDirectory(root + "/a/b/c"))
        try Posix.writeAtomically(Array("x".utf8), to: root + "/a/b/file", directory: root + "/a/b")
        #expect(try Posix.listDirectory(root + "/a/b") == ["c", "file"])
        #expect(symlink(root + "/a", root + "/link") == 0)
        try Posix.removeTree(root + "/link")        // removes the link, not what it points to
        #expect(Posix.isDirectory(root + "/a/b/c"))
        try Posix.removeTree(root)
        #expect(!Posix.fileExists(root))
        try Posix.removeTree(root)                  // already gone: fine
    }

    @Test func atomicWriteReplacesAndReadAllReadsBack() throws {
        let root = try scratch()
        defer { try? Posix.removeTree(root) }
        #expect(try Posix.readAll(root + "/missing") == nil)
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0) }
        try Posix.writeAtomically(big, to: root + "/f", directory: root)
        try Posix.writeAtomically([1, 2, 3], to: root + "/f", directory: root)
        #expect(try Posix.readAll(root + "/f") == [1, 2, 3])
        #expect(try Posix.fileSize(root + "/f") == 3)
        #expect(!Posix.fileExists(root + "/f.tmp"))
    }

    @Test func failuresNameTheCallThePathAndTheErrno() throws {
        let root = try scratch()
        defer { try? Posix.removeTree(root) }
        let error = try #require(throws: PosixError.self) { try Posix.fileSize(root + "/missing") }
        #expect(error.errno == ENOENT && error.path == root + "/missing" && error.operation == "stat")
        #expect(error.description.hasPrefix("stat \(root)/missing: "))
        try Posix.writeAtomically([0], to: root + "/file", directory: root)
        #expect(throws: PosixError.self) { try Posix.makeDirectory(root + "/file/sub") }
        #expect(throws: PosixError.self) { try Posix.listDirectory(root + "/missing") }
        try Posix.unlinkIfPresent(root + "/missing")
    }
}
