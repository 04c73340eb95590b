/// Writes `BuiltinThemes.swift` from the files in `themes/`. A test regenerates it and fails when
/// the committed file is stale (`UPDATE_GENERATED=1 swift test --filter GeneratedFiles` rewrites it).
public enum BuiltinThemesGenerator {
    /// The Swift source embedding `files` (name, TOML text), sorted by name.
    public static func source(files: [(name: String, text: String)]) -> String {
        var out = """
        // Generated from themes/*.toml by BuiltinThemesGenerator. Do not edit: change the theme files and run
        // `UPDATE_GENERATED=1 swift test --filter GeneratedFiles`.

        /// The shipped themes, built into the binary so that it needs no files at run time.
        enum BuiltinThemes {
            static let sources: [(file: String, toml: String)] = [

        """
        for file in files.sorted(by: { $0.name < $1.name }) {
            out += "        (\"\(file.name)\", ##\"\"\"\n"
            out += file.text.hasSuffix("\n") ? file.text : file.text + "\n"
            out += "\"\"\"##),\n"
        }
        out += "    ]\n}\n"
        return out
    }
}
