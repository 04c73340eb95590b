/// Sparklines: a series of samples drawn as block characters of eight heights.
public enum Sparkline {
    /// The last `width` values as a sparkline scaled to their maximum (an all-zero series is a flat
    /// baseline). Missing leading samples are blank.
    public static func render(_ values: [Double], width: Int, glyphs: Glyphs) -> String {
        guard width > 0 else { return "" }
        let tail = values.suffix(width)
        let peak = tail.max() ?? 0
        var out = String(repeating: " ", count: width - tail.count)
        let levels = glyphs.sparkLevels
        for v in tail {
            if peak <= 0 || v <= 0 {
                out.append(levels[1])
            } else {
                let top = levels.count - 1
                out.append(levels[min(top, max(1, Int((v / peak * Double(top)).rounded(.up))))])
            }
        }
        return out
    }

    /// Resamples timed samples into `buckets` equal slots covering `window` seconds ending at `end`;
    /// each slot holds the mean of its samples, or the previous slot's value when it has none.
    public static func resample(_ samples: [RateSample], buckets: Int, window: Double, end: Double) -> [Double] {
        guard buckets > 0, window > 0 else { return [] }
        let start = end - window
        let slot = window / Double(buckets)
        var sums = Array(repeating: 0.0, count: buckets)
        var counts = Array(repeating: 0, count: buckets)
        for sample in samples where sample.time > start && sample.time <= end {
            let i = min(buckets - 1, Int((sample.time - start) / slot))
            sums[i] += sample.value
            counts[i] += 1
        }
        var out: [Double] = []
        out.reserveCapacity(buckets)
        var first = true
        var last = 0.0
        for i in 0..<buckets {
            if counts[i] > 0 {
                last = sums[i] / Double(counts[i])
                first = false
                out.append(last)
            } else if first {
                continue  // no data yet at the start of the window: leave it blank
            } else {
                out.append(last)
            }
        }
        return out
    }
}
