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
        case .sixteen: return nearest(Int(r), Int(g), Int(b), in: ansi16)
        case .eight: return nearest(Int(r), Int(g), Int(b), in: Array(ansi16.prefix(8)))
        case .none: return -1
        }
    }

    /// xterm's values for the 16 ANSI colours (terminals vary; these are the common reference).
    static let ansi16: [(Int, Int, Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]

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

    static func nearest(_ r: Int, _ g: Int, _ b: Int, in palette: [(Int, Int, Int)]) -> Int {
        palette.enumerated().min { distance((r, g, b), $0.element) < distance((r, g, b), $1.element) }!.offset
    }

    /// "Redmean" weighted distance: closer to perceived difference than plain RGB distance.
    static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let rm = (a.0 + b.0) / 2
        let dr = a.0 - b.0, dg = a.1 - b.1, db = a.2 - b.2
        return ((512 + rm) * dr * dr >> 8) + 4 * dg * dg + ((767 - rm) * db * db >> 8)
    }
}
