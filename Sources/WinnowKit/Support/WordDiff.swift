/// A word-level diff of two texts, for showing a near duplicate beside its representative:
/// the pieces of both in order, each kept (in both), deleted (only in the first) or inserted
/// (only in the second). Words are compared without the whitespace that follows them but keep
/// it, so joining the kept and inserted pieces gives the second text back.
public enum WordDiff {
    public enum Change: Equatable, Sendable {
        case kept(String)
        case deleted(String)
        case inserted(String)
    }

    /// The most word pairs the longest-common-subsequence table may hold (after the common
    /// prefix and suffix are set aside); past it the middle is shown as deleted then inserted.
    public static let maxCells = 4_000_000

    /// The changes that turn `a` into `b`, adjacent pieces of one kind merged.
    public static func diff(_ a: String, _ b: String, maxCells: Int = maxCells) -> [Change] {
        let x = words(a)
        let y = words(b)
        var prefix = 0
        while prefix < x.count, prefix < y.count, x[prefix] == y[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < x.count - prefix, suffix < y.count - prefix, x[x.count - 1 - suffix] == y[y.count - 1 - suffix] { suffix += 1 }
        let xm = Array(x[prefix..<(x.count - suffix)])
        let ym = Array(y[prefix..<(y.count - suffix)])
        var out: [Change] = x[..<prefix].map { .kept($0) }
        if xm.count * ym.count > maxCells {
            out += xm.map { .deleted($0) } + ym.map { .inserted($0) }
        } else {
            out += middle(xm, ym)
        }
        out += x[(x.count - suffix)...].map { .kept($0) }
        return merged(out)
    }

    /// The words of `text`, each with the whitespace after it (leading whitespace is a piece of its own).
    static func words(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        var inSpace = false
        for ch in text {
            if ch.isWhitespace {
                inSpace = true
            } else if inSpace {
                out.append(current)
                current = ""
                inSpace = false
            }
            current.append(ch)
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// The longest common subsequence of words compared without their trailing whitespace.
    private static func middle(_ x: [String], _ y: [String]) -> [Change] {
        let n = x.count, m = y.count
        if n == 0 { return y.map { .inserted($0) } }
        if m == 0 { return x.map { .deleted($0) } }
        let xk = x.map(key), yk = y.map(key)
        // lengths[i][j]: the LCS of x[i...] and y[j...], in one flat table.
        var lengths = [Int32](repeating: 0, count: (n + 1) * (m + 1))
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lengths[i * (m + 1) + j] =
                    xk[i] == yk[j]
                    ? lengths[(i + 1) * (m + 1) + j + 1] + 1
                    : max(lengths[(i + 1) * (m + 1) + j], lengths[i * (m + 1) + j + 1])
            }
        }
        var out: [Change] = []
        var i = 0, j = 0
        while i < n, j < m {
            if xk[i] == yk[j] {
                out.append(.kept(y[j])); i += 1; j += 1
            } else if lengths[(i + 1) * (m + 1) + j] >= lengths[i * (m + 1) + j + 1] {
                out.append(.deleted(x[i])); i += 1
            } else {
                out.append(.inserted(y[j])); j += 1
            }
        }
        out += x[i...].map { .deleted($0) } + y[j...].map { .inserted($0) }
        return out
    }

    private static func key(_ word: String) -> Substring { word.prefix { !$0.isWhitespace } }

    /// Adjacent pieces of one kind joined.
    private static func merged(_ changes: [Change]) -> [Change] {
        var out: [Change] = []
        for change in changes {
            switch (out.last, change) {
            case (.kept(let a)?, .kept(let b)): out[out.count - 1] = .kept(a + b)
            case (.deleted(let a)?, .deleted(let b)): out[out.count - 1] = .deleted(a + b)
            case (.inserted(let a)?, .inserted(let b)): out[out.count - 1] = .inserted(a + b)
            default: out.append(change)
            }
        }
        return out
    }
}
