// Generated from themes/*.toml by BuiltinThemesGenerator. Do not edit: change the theme files and run
// `UPDATE_GENERATED=1 swift test --filter GeneratedFiles`.

/// The shipped themes, built into the binary so that it needs no files at run time.
enum BuiltinThemes {
    static let sources: [(file: String, toml: String)] = [
        ("dark.toml", ##"""
# Sluice console theme: dark (the default).
# Every role names a foreground and a background colour as #rrggbb (or "default" for the
# terminal's own). The console maps them to the nearest of 256, 16 or 8 colours, whatever the
# terminal supports. Attributes (bold, reverse, ...) are only for monochrome themes.
name = "dark"
description = "Light text on a dark grey background"

[roles]
text          = { fg = "#d0d0d0", bg = "#1c1c1c" }
muted         = { fg = "#808080", bg = "#1c1c1c" }
header        = { fg = "#c6d0dc", bg = "#1f3a6f" }
header-value  = { fg = "#ffffff", bg = "#1f3a6f" }
tab           = { fg = "#a8a8a8", bg = "#262626" }
tab-active    = { fg = "#1c1c1c", bg = "#5fafd7" }
column-header = { fg = "#87afd7", bg = "#262626" }
selection     = { fg = "#ffffff", bg = "#2f5f9f" }
ok            = { fg = "#87d787", bg = "#1c1c1c" }
warn          = { fg = "#ffd75f", bg = "#1c1c1c" }
error         = { fg = "#ff5f5f", bg = "#1c1c1c" }
accent        = { fg = "#ffaf5f", bg = "#1c1c1c" }
spark-in      = { fg = "#5fd7af", bg = "#1c1c1c" }
spark-out     = { fg = "#d787d7", bg = "#1c1c1c" }
footer        = { fg = "#a8a8a8", bg = "#262626" }
footer-key    = { fg = "#5fafd7", bg = "#262626" }
status        = { fg = "#d0d0d0", bg = "#1c1c1c" }
status-error  = { fg = "#ff5f5f", bg = "#1c1c1c" }
dialog        = { fg = "#d0d0d0", bg = "#303030" }
dialog-border = { fg = "#5fafd7", bg = "#303030" }
field         = { fg = "#d0d0d0", bg = "#444444" }
field-focus   = { fg = "#ffffff", bg = "#585858" }
json-key      = { fg = "#87afd7", bg = "#1c1c1c" }
json-string   = { fg = "#87d787", bg = "#1c1c1c" }
json-number   = { fg = "#ffaf5f", bg = "#1c1c1c" }
json-literal  = { fg = "#d787d7", bg = "#1c1c1c" }
match         = { fg = "#1c1c1c", bg = "#ffd75f" }
"""##),
        ("high-contrast.toml", ##"""
# Sluice console theme: high contrast. Pure black and white with saturated status colours,
# for low vision, projectors and washed-out screens.
name = "high-contrast"
description = "White on black with saturated colours"

[roles]
text          = { fg = "#ffffff", bg = "#000000" }
muted         = { fg = "#c0c0c0", bg = "#000000" }
header        = { fg = "#000000", bg = "#ffffff" }
header-value  = { fg = "#0000ff", bg = "#ffffff" }
tab           = { fg = "#ffffff", bg = "#000000" }
tab-active    = { fg = "#000000", bg = "#ffff00" }
column-header = { fg = "#00ffff", bg = "#000000" }
selection     = { fg = "#000000", bg = "#00ffff" }
ok            = { fg = "#00ff00", bg = "#000000" }
warn          = { fg = "#ffff00", bg = "#000000" }
error         = { fg = "#ff0000", bg = "#000000" }
accent        = { fg = "#ff00ff", bg = "#000000" }
spark-in      = { fg = "#00ff00", bg = "#000000" }
spark-out     = { fg = "#ff00ff", bg = "#000000" }
footer        = { fg = "#000000", bg = "#ffffff" }
footer-key    = { fg = "#0000ff", bg = "#ffffff" }
status        = { fg = "#ffffff", bg = "#000000" }
status-error  = { fg = "#ffffff", bg = "#ff0000" }
dialog        = { fg = "#ffffff", bg = "#000000" }
dialog-border = { fg = "#ffff00", bg = "#000000" }
field         = { fg = "#000000", bg = "#c0c0c0" }
field-focus   = { fg = "#000000", bg = "#ffffff" }
json-key      = { fg = "#00ffff", bg = "#000000" }
json-string   = { fg = "#00ff00", bg = "#000000" }
json-number   = { fg = "#ffff00", bg = "#000000" }
json-literal  = { fg = "#ff00ff", bg = "#000000" }
match         = { fg = "#000000", bg = "#ffff00" }
"""##),
        ("light.toml", ##"""
# Sluice console theme: light. Dark text on white, for light terminals and bright rooms.
name = "light"
description = "Dark text on a white background"

[roles]
text          = { fg = "#1c1c1c", bg = "#ffffff" }
muted         = { fg = "#767676", bg = "#ffffff" }
header        = { fg = "#1c1c1c", bg = "#afd7ff" }
header-value  = { fg = "#00005f", bg = "#afd7ff" }
tab           = { fg = "#444444", bg = "#e4e4e4" }
tab-active    = { fg = "#ffffff", bg = "#005faf" }
column-header = { fg = "#005faf", bg = "#e4e4e4" }
selection     = { fg = "#000000", bg = "#ffd787" }
ok            = { fg = "#008700", bg = "#ffffff" }
warn          = { fg = "#af5f00", bg = "#ffffff" }
error         = { fg = "#d70000", bg = "#ffffff" }
accent        = { fg = "#af00af", bg = "#ffffff" }
spark-in      = { fg = "#008787", bg = "#ffffff" }
spark-out     = { fg = "#8700af", bg = "#ffffff" }
footer        = { fg = "#444444", bg = "#e4e4e4" }
footer-key    = { fg = "#005faf", bg = "#e4e4e4" }
status        = { fg = "#1c1c1c", bg = "#ffffff" }
status-error  = { fg = "#d70000", bg = "#ffffff" }
dialog        = { fg = "#1c1c1c", bg = "#eeeeee" }
dialog-border = { fg = "#005faf", bg = "#eeeeee" }
field         = { fg = "#1c1c1c", bg = "#d0d0d0" }
field-focus   = { fg = "#000000", bg = "#bcbcbc" }
json-key      = { fg = "#005faf", bg = "#ffffff" }
json-string   = { fg = "#008700", bg = "#ffffff" }
json-number   = { fg = "#af5f00", bg = "#ffffff" }
json-literal  = { fg = "#af00af", bg = "#ffffff" }
match         = { fg = "#000000", bg = "#ffff5f" }
"""##),
        ("monochrome.toml", ##"""
# Sluice console theme: monochrome. No colours at all, only attributes (bold, dim, reverse,
# underline, standout); the console uses it whenever NO_COLOR is set or the terminal has no
# colours. Attributes: bold, dim, reverse, underline, standout.
name = "monochrome"
description = "Attributes only, for NO_COLOR and terminals without colours"
monochrome = true

[roles]
text          = { attrs = [] }
muted         = { attrs = ["dim"] }
header        = { attrs = ["reverse"] }
header-value  = { attrs = ["reverse", "bold"] }
tab           = { attrs = [] }
tab-active    = { attrs = ["reverse", "bold"] }
column-header = { attrs = ["underline"] }
selection     = { attrs = ["reverse"] }
ok            = { attrs = [] }
warn          = { attrs = ["bold"] }
error         = { attrs = ["bold", "underline"] }
accent        = { attrs = ["bold"] }
spark-in      = { attrs = [] }
spark-out     = { attrs = [] }
footer        = { attrs = ["reverse"] }
footer-key    = { attrs = ["reverse", "bold"] }
status        = { attrs = [] }
status-error  = { attrs = ["bold"] }
dialog        = { attrs = [] }
dialog-border = { attrs = ["bold"] }
field         = { attrs = ["underline"] }
field-focus   = { attrs = ["reverse"] }
json-key      = { attrs = ["bold"] }
json-string   = { attrs = [] }
json-number   = { attrs = [] }
json-literal  = { attrs = ["underline"] }
match         = { attrs = ["standout"] }
"""##),
    ]
}
