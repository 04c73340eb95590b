/// How many colours the terminal can show.
public enum ColorCapability: Equatable, Sendable {
    case none, eight, sixteen, palette256

    /// From the terminal's reported colour count (ncurses' COLORS).
    public init(colors: Int) {
        switch colors {
        case 256...: self = .palette256
        case 16...: self = .sixteen
        case 8...: self = .eight
        default: self = .none
        }
    }
}

/// Maps theme colours to terminal colour numbers: the nearest colour of the xterm 256-colour cube
/// and grey ramp, or of the 16 or 8 ANSI colours. -1 is the terminal's default colour.
public enum ColorMapper {
    public static func index(_ color: ThemeColor, capability: ColorCapability) -> Int {
        guard case .rgb(let r, let g, let b) = color else { return -1 }
        switch capability {
        case .palette256: return nearest256(Int(r), Int(g), Int(b))
        case .sixteen: return basic(Int(r), Int(g), Int(b), bright: true)
        case .eight: return basic(Int(r), Int(g), Int(b), bright: false)
        case .none: return -1
        }
    }

    private static let cubeLevels = [0, 95, 135, 175, 215, 255]

    /// Colours 16-255 only: 0-15 are often redefined by terminal themes, the cube and ramp are not.
    static func nearest256(_ r: Int, _ g: Int, _ b: Int) -> Int {
        func level(_ v: Int) -> Int { cubeLevels.enumerated().min { abs($0.element - v) < abs($1.element - v) }!.offset }
        let (ri, gi, bi) = (level(r), level(g), level(b))
        let cube = 16 + 36 * ri + 6 * gi + bi
        let cubeDistance = distance((r, g, b), (cubeLevels[ri], cubeLevels[gi], cubeLevels[bi]))
        let average = (r + g + b) / 3
        let greyStep = max(0, min(23, (average - 8 + 5) / 10))
        let grey = 8 + 10 * greyStep
        let greyDistance = distance((r, g, b), (grey, grey, grey))
        return greyDistance < cubeDistance ? 232 + greyStep : cube
    }

    /// With only 8 or 16 colours, hue matters more than exact distance (a salmon red must stay red,
    /// not become grey): greyish colours map by lightness to black, grey or white; the others by hue
    /// to red, yellow, green, cyan, blue or magenta (the bright variant for light ones when there are 16).
    static func basic(_ r: Int, _ g: Int, _ b: Int, bright: Bool) -> Int {
        let high = max(r, g, b), low = min(r, g, b)
        let chroma = high - low
        let lightness = (high + low) / 2
        if chroma < 40 {
            if bright {
                return lightness < 48 ? 0 : lightness < 150 ? 8 : lightness < 215 ? 7 : 15
            }
            return lightness < 100 ? 0 : 7
        }
        var hue: Double
        let c = Double(chroma)
        if high == r {
            hue = Double(g - b) / c
        } else if high == g {
            hue = Double(b - r) / c + 2
        } else {
            hue = Double(r - g) / c + 4
        }
        hue = (hue * 60 + 360).truncatingRemainder(dividingBy: 360)
        // Sectors of 60° centred on each primary and secondary: red, yellow, green, cyan, blue, magenta.
        let ansi = [1, 3, 2, 6, 4, 5][Int((hue + 30) / 60) % 6]
        return bright && high > 200 && lightness > 110 ? ansi + 8 : ansi
    }

    /// "Redmean" weighted distance: closer to perceived difference than plain RGB distance.
    static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let rm = (a.0 + b.0) / 2
        let dr = a.0 - b.0, dg = a.1 - b.1, db = a.2 - b.2
        return ((512 + rm) * dr * dr >> 8) + 4 * dg * dg + ((767 - rm) * db * db >> 8)
    }
}
