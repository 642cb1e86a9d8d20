import Crypto
import Foundation

/// Flags samples whose text, or a required field of their kind, is empty after trimming.
public final class EmptyDetector: Detector {
    public let name = "empty"
    public var parametersJSON: String { "{}" }
    public init() {}

    public func observe(_ s: DetectSample) -> [DetectorHit] {
        func blank(_ t: String) -> Bool { t.allSatisfy { $0.isWhitespace } }
        var empty: [String] = []
        switch s.content {
        case .text(let t): if blank(t) { empty.append("text") }
        case .pair(let a, let b):
            if blank(a) { empty.append("text_a") }
            if blank(b) { empty.append("text_b") }
        case .instruction(let i, _, let o):
            if blank(i) { empty.append("instruction") }
            if blank(o) { empty.append("output") }
        case .chat(let messages):
            // A message carrying a tool or function call needs no text.
            for (n, m) in messages.enumerated() where blank(m.content) && m.extra["tool_calls"] == nil && m.extra["function_call"] == nil {
                empty.append("message \(n + 1) (\(m.role))")
            }
        }
        guard !empty.isEmpty else { return [] }
        return [
            DetectorHit(
                sampleID: s.sampleID, contentID: s.contentID, score: 1,
                reason: "\(empty.joined(separator: ", ")) \(empty.count == 1 ? "is" : "are") empty",
                details: jsonObject([("fields", jsonArray(empty))]))
        ]
    }
}

/// Flags samples with fewer than `minWords` words (too-short) or more than `maxWords` (too-long).
public final class LengthBoundDetector: Detector {
    public let name: String
    let bound: Int
    let below: Bool
    public var parametersJSON: String { jsonObject([(below ? "min_words" : "max_words", "\(bound)")]) }

    public init(minWords: Int) { name = "too-short"; bound = minWords; below = true }
    public init(maxWords: Int) { name = "too-long"; bound = maxWords; below = false }

    public func observe(_ s: DetectSample) -> [DetectorHit] {
        let words = Lexical.wordCount(s.text)
        if below && words < bound {
            return [
                DetectorHit(
                    sampleID: s.sampleID, contentID: s.contentID, score: Double(bound - words) / Double(bound),
                    reason: "\(words) word\(words == 1 ? "" : "s"), below the minimum of \(bound)",
                    details: jsonObject([("words", "\(words)"), ("min_words", "\(bound)")]))
            ]
        }
        if !below && words > bound {
            return [
                DetectorHit(
                    sampleID: s.sampleID, contentID: s.contentID, score: Double(words) / Double(bound),
                    reason: "\(words) words, above the maximum of \(bound)",
                    details: jsonObject([("words", "\(words)"), ("max_words", "\(bound)")]))
            ]
        }
        return []
    }
}

/// Flags lengths far from their label's typical length: robust z-score of log word count,
/// 0.6745 · (x − median) / MAD, per label, beyond `threshold`.
public final class LengthOutlierDetector: Detector {
    public let name = "length-outlier"
    let threshold: Double
    private var byLabel: [String: [(Int64, Int64, Int, Double)]] = [:]
    public var parametersJSON: String { jsonObject([("z", jsonNumber(threshold))]) }

    public init(threshold: Double = 3.5) { self.threshold = threshold }

    public func observe(_ s: DetectSample) -> [DetectorHit] {
        let words = Lexical.wordCount(s.text)
        byLabel[s.label ?? "", default: []].append((s.sampleID, s.contentID, words, log(Double(words) + 1)))
        return []
    }

    public func finish() -> [DetectorHit] {
        var hits: [DetectorHit] = []
        for (label, items) in byLabel where items.count >= 5 {
            let median = LengthOutlierDetector.median(items.map(\.3))
            let mad = LengthOutlierDetector.median(items.map { abs($0.3 - median) })
            guard mad > 0 else { continue }
            let medianWords = Int((exp(median) - 1).rounded())
            for (sampleID, contentID, words, x) in items {
                let z = 0.6745 * (x - median) / mad
                if abs(z) > threshold {
                    let group = label.isEmpty ? "unlabelled samples" : "label '\(label)'"
                    hits.append(
                        DetectorHit(
                            sampleID: sampleID, contentID: contentID, score: abs(z),
                            reason: "\(words) word\(words == 1 ? "" : "s"), far from the \(medianWords) typical of \(group) (robust z \(String(format: "%.1f", z)))",
                            details: jsonObject([
                                ("words", "\(words)"), ("median_words", "\(medianWords)"),
                                ("z", jsonNumber(z)), ("label", JSONText.quote(label)),
                            ])))
                }
            }
        }
        return hits.sorted { $0.sampleID < $1.sampleID }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}

/// Flags a sample whose text, case-folded and stripped of punctuation, equals an earlier one's.
/// (Samples identical up to white space share a content hash and were merged at import.)
public final class ExactDuplicateDetector: Detector {
    public let name = "exact-duplicate"
    public var parametersJSON: String { "{}" }
    private var first: [[UInt8]: (Int64, String)] = [:]
    /// Each flagged sample with the first sample of its group, for label-conflict.
    public private(set) var groups: [(sampleID: Int64, firstID: Int64)] = []
    public init() {}

    /// A digest of the text's lower-cased words in order: punctuation and spacing gone.
    public static func key(_ text: String) -> [UInt8] {
        let words = Lexical.wordHashes(text)
        return words.withUnsafeBytes { Array(SHA256.hash(data: $0)) }
    }

    public func observe(_ s: DetectSample) -> [DetectorHit] {
        let key = ExactDuplicateDetector.key(s.text)
        if let (firstID, firstUID) = first[key] {
            groups.append((s.sampleID, firstID))
            return [
                DetectorHit(
                    sampleID: s.sampleID, contentID: s.contentID, score: 1,
                    reason: "same text as \(firstUID) once case and punctuation are ignored",
                    details: jsonObject([("duplicate_of", JSONText.quote(firstUID))]))
            ]
        }
        first[key] = (s.sampleID, s.uid)
        return []
    }
}

/// Flags watermarks and boilerplate: configurable case-insensitive patterns, and texts with
/// many URLs.
public final class BoilerplateDetector: Detector {
    public let name = "boilerplate"
    public static let defaultPatterns = [
        "all rights reserved", "click here", "subscribe to (our|the) newsletter", "terms (of service|and conditions)",
        "cookie (policy|settings)", "lorem ipsum", "privacy policy", "(sign|log) in to (continue|read)",
        "this (article|post|page) (was|is) (originally )?(published|brought to you)", "follow us on",
        "©\\s*(19|20)\\d\\d", "powered by \\w+", "unsubscribe",
    ]
    let patterns: [(String, NSRegularExpression)]
    let maxURLs: Int
    public var parametersJSON: String {
        jsonObject([("patterns", jsonArray(patterns.map(\.0))), ("max_urls", "\(maxURLs)")])
    }
    static let url = try? NSRegularExpression(pattern: "https?://[^\\s)]+|www\\.[^\\s)]+", options: [.caseInsensitive])

    public init(patterns: [String] = BoilerplateDetector.defaultPatterns, maxURLs: Int = 3) throws {
        self.patterns = try patterns.map { pattern in
            do { return (pattern, try NSRegularExpression(pattern: pattern, options: [.caseInsensitive])) } catch {
                throw WinnowError.invalidArgument("boilerplate pattern '\(pattern)' is not a valid regular expression")
            }
        }
        self.maxURLs = maxURLs
    }

    public func observe(_ s: DetectSample) -> [DetectorHit] {
        let range = NSRange(s.text.startIndex..., in: s.text)
        var found: [String] = []
        for (_, regex) in patterns {
            if let match = regex.firstMatch(in: s.text, range: range), let r = Range(match.range, in: s.text) {
                found.append(String(s.text[r]).lowercased())
            }
        }
        if s.text.contains("http") || s.text.contains("www."), let url = BoilerplateDetector.url {
            let urls = url.numberOfMatches(in: s.text, range: range)
            if urls > maxURLs { found.append("\(urls) URLs") }
        }
        guard !found.isEmpty else { return [] }
        return [
            DetectorHit(
                sampleID: s.sampleID, contentID: s.contentID, score: Double(found.count),
                reason: "boilerplate: " + found.map { "'\($0)'" }.joined(separator: ", "),
                details: jsonObject([("matches", jsonArray(found))]))
        ]
    }
}

/// Gopher-style repetition: the share of lines that repeat another line, or the share of
/// words covered by the most repeated word 3-gram, above a bound.
public final class RepetitionDetector: Detector {
    public let name = "repetition"
    let maxDuplicateLines: Double
    let maxTop3gram: Double
    public var parametersJSON: String {
        jsonObject([("max_duplicate_line_share", jsonNumber(maxDuplicateLines)), ("max_top_3gram_share", jsonNumber(maxTop3gram))])
    }

    public init(maxDuplicateLines: Double = 0.3, maxTop3gram: Double = 0.2) {
        self.maxDuplicateLines = maxDuplicateLines
        self.maxTop3gram = maxTop3gram
    }

    public func observe(_ s: DetectSample) -> [DetectorHit] {
        var reasons: [String] = []
        var details: [(String, String)] = []
        let lines = s.text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if lines.count >= 3 {
            var seen = Set<String>()
            var repeated = 0
            for line in lines where !seen.insert(line).inserted { repeated += 1 }
            let share = Double(repeated) / Double(lines.count)
            if share > maxDuplicateLines {
                reasons.append("\(Int((share * 100).rounded()))% of lines repeat an earlier line")
                details.append(("duplicate_line_share", jsonNumber(share)))
            }
        }
        let hashes = Lexical.wordHashes(s.text)
        // Like Gopher's rules, the n-gram test is for documents, not a sentence or two.
        if hashes.count >= 30 {
            var counts: [UInt64: (count: Int, at: Int)] = [:]
            for i in 2..<hashes.count {
                let key = MinHash.mix(MinHash.mix(hashes[i - 2] ^ 1) ^ hashes[i - 1]) ^ hashes[i]
                counts[key, default: (0, i)].count += 1
            }
            if let top = counts.values.max(by: { $0.count < $1.count }), top.count >= 3 {
                let n = top.count
                let share = Double(n * 3) / Double(hashes.count)
                if share > maxTop3gram {
                    // Only now build the words, to name the 3-gram.
                    let words = Lexical.words(s.text)
                    let gram = words.count == hashes.count ? words[(top.at - 2)...top.at].joined(separator: " ") : "?"
                    reasons.append("'\(gram)' repeats \(n) times (\(Int((min(share, 1) * 100).rounded()))% of the words)")
                    details.append(("top_3gram", JSONText.quote(gram)))
                    details.append(("top_3gram_share", jsonNumber(share)))
                }
            }
        }
        guard !reasons.isEmpty else { return [] }
        return [
            DetectorHit(
                sampleID: s.sampleID, contentID: s.contentID, score: Double(reasons.count),
                reason: reasons.joined(separator: "; "), details: jsonObject(details))
        ]
    }
}

/// Broken encoding: U+FFFD replacement characters, control characters, typical mojibake.
public final class EncodingDetector: Detector {
    public let name = "encoding"
    public var parametersJSON: String { "{}" }
    /// UTF-8 read as Latin-1 / Windows-1252, the usual suspects.
    static let mojibake = [
        "â€™", "â€œ", "â€\u{9D}", "â€“", "â€”", "â€¦", "â€˜", "Ã©", "Ã¨", "Ã¡", "Ã¶", "Ã¼", "Ã¤",
        "Ã±", "Ã§", "Ã³", "Ãª", "Ã®", "Â·", "Â©", "Â®", "Â°", "Ã\u{A0}", "Â\u{A0}",
    ]
    public init() {}

    public func observe(_ s: DetectSample) -> [DetectorHit] {
        var replacement = 0
        var controls = 0
        var nonASCII = false
        for scalar in s.text.unicodeScalars {
            switch scalar.value {
            case 0xFFFD: replacement += 1
            case 0x09, 0x0A, 0x0D: break
            case 0x00...0x1F, 0x7F...0x9F: controls += 1
            default: break
            }
            if scalar.value >= 0x80 { nonASCII = true }
        }
        var found: [String] = []
        if nonASCII { found = EncodingDetector.mojibake.filter { s.text.contains($0) } }
        guard replacement + controls > 0 || !found.isEmpty else { return [] }
        var reasons: [String] = []
        if replacement > 0 { reasons.append("\(replacement) U+FFFD replacement character\(replacement == 1 ? "" : "s")") }
        if controls > 0 { reasons.append("\(controls) control character\(controls == 1 ? "" : "s")") }
        if !found.isEmpty { reasons.append("mojibake " + found.prefix(3).map { "'\($0)'" }.joined(separator: ", ")) }
        return [
            DetectorHit(
                sampleID: s.sampleID, contentID: s.contentID, score: Double(replacement + controls + found.count),
                reason: reasons.joined(separator: ", "),
                details: jsonObject([
                    ("replacement_characters", "\(replacement)"), ("control_characters", "\(controls)"),
                    ("mojibake", jsonArray(found)),
                ]))
        ]
    }
}

/// Personal data: e-mail addresses, phone numbers, IPv4 addresses, payment card numbers
/// (Luhn-checked).
public final class PIIDetector: Detector {
    public let name = "pii"
    public var parametersJSON: String { "{}" }
    static let email = try? NSRegularExpression(pattern: "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}")
    static let phone = try? NSRegularExpression(pattern: "(?<![\\w.])(\\+\\d{1,3}[ .-]?)?(\\(\\d{2,4}\\)[ .-]?|\\d{2,4}[ .-])\\d{3,4}[ .-]?\\d{3,4}(?![\\w])")
    static let ipv4 = try? NSRegularExpression(pattern: "(?<![\\d.])((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)(?![\\d.])")
    static let card = try? NSRegularExpression(pattern: "(?<!\\d)(\\d[ -]?){12,18}\\d(?!\\d)")
    public init() {}

    /// The Luhn checksum of a digit string.
    public static func luhn(_ digits: [Int]) -> Bool {
        var sum = 0
        for (i, d) in digits.reversed().enumerated() {
            if i % 2 == 1 { let x = d * 2; sum += x > 9 ? x - 9 : x } else { sum += d }
        }
        return digits.count >= 13 && sum % 10 == 0
    }

    /// Phone numbers written without separators (`09061701461`, `+447700900123`): a run of 10 to
    /// 13 ASCII digits, optionally led by `+`, that
    /// - stands alone: not touching a letter, digit or `_`; not after `. / \ - = # @ & % $ £ € ¥`
    ///   (decimals, versions, paths and URLs, uuid groups, query ids, issue numbers, amounts), nor
    ///   after `,` or `:` that follow a digit; not before `/ \ @ %`, nor before `-`, `.`, `,` or `:`
    ///   followed by a letter or digit (`09061701461.` at a sentence's end is still a number);
    /// - is not a date or time stamp: its first eight digits a date 1900–2099 (`202401311200`), or,
    ///   without `+`, 10 or 13 digits starting with 1 (Unix seconds or milliseconds, 2001–2033);
    /// - is not an ISBN-13 / EAN-13 (978 or 979 and a valid check digit) nor one digit repeated.
    /// Returns the numbers found, in order.
    public static func unformattedPhoneNumbers(_ text: String) -> [String] {
        let u = Array(text.unicodeScalars)
        func isDigit(_ i: Int) -> Bool { i >= 0 && i < u.count && u[i].value >= 48 && u[i].value <= 57 }
        func isWord(_ i: Int) -> Bool {
            guard i >= 0 && i < u.count else { return false }
            return isDigit(i) || u[i] == "_" || u[i].properties.isAlphabetic || u[i].properties.numericType != nil
        }
        func isOneOf(_ i: Int, _ set: String) -> Bool { i >= 0 && i < u.count && set.unicodeScalars.contains(u[i]) }
        var found: [String] = []
        var i = 0
        while i < u.count {
            guard isDigit(i) else { i += 1; continue }
            var end = i
            while isDigit(end) { end += 1 }
            defer { i = end }
            let length = end - i
            guard (10...13).contains(length) else { continue }
            let plus = isOneOf(i - 1, "+")
            let before = plus ? i - 2 : i - 1
            if isWord(before) || isOneOf(before, "./\\-=#@&%$£€¥") || (isOneOf(before, ",:") && isDigit(before - 1)) { continue }
            if isWord(end) || isOneOf(end, "/\\@%") || (isOneOf(end, "-.,:") && isWord(end + 1)) { continue }
            let digits = u[i..<end].map { Int($0.value) - 48 }
            if Set(digits).count == 1 { continue }
            let number = { (from: Int, count: Int) in digits[from..<(from + count)].reduce(0) { $0 * 10 + $1 } }
            let (year, month, day) = (number(0, 4), number(4, 2), number(6, 2))
            if (1900...2099).contains(year) && (1...12).contains(month) && (1...31).contains(day) { continue }
            if !plus && (length == 10 || length == 13) && digits[0] == 1 { continue }
            if length == 13 && [978, 979].contains(number(0, 3)) {
                let sum = digits.enumerated().reduce(0) { $0 + $1.element * ($1.offset % 2 == 0 ? 1 : 3) }
                if sum % 10 == 0 { continue }
            }
            found.append((plus ? "+" : "") + digits.map(String.init).joined())
        }
        return found
    }

    public func observe(_ s: DetectSample) -> [DetectorHit] {
        let text = s.text
        let range = NSRange(text.startIndex..., in: text)
        var kinds: [String] = []
        if text.contains("@"), let email = PIIDetector.email, email.firstMatch(in: text, range: range) != nil {
            kinds.append("e-mail address")
        }
        let digitCount = text.unicodeScalars.reduce(0) { $0 + (("0"..."9").contains($1) ? 1 : 0) }
        var cardFound = false
        if digitCount >= 13, let card = PIIDetector.card {
            for match in card.matches(in: text, range: range) {
                guard let r = Range(match.range, in: text) else { continue }
                let digits = text[r].compactMap { $0.wholeNumberValue }
                if digits.count >= 13 && digits.count <= 19 && PIIDetector.luhn(digits) { cardFound = true; break }
            }
            if cardFound { kinds.append("payment card number") }
        }
        if digitCount >= 9, !cardFound, let phone = PIIDetector.phone,
            phone.firstMatch(in: text, range: range) != nil || (digitCount >= 10 && !PIIDetector.unformattedPhoneNumbers(text).isEmpty)
        {
            kinds.append("phone number")
        }
        if digitCount >= 4, text.contains("."), let ip = PIIDetector.ipv4, ip.firstMatch(in: text, range: range) != nil {
            kinds.append("IP address")
        }
        guard !kinds.isEmpty else { return [] }
        return [
            DetectorHit(
                sampleID: s.sampleID, contentID: s.contentID, score: Double(kinds.count),
                reason: "contains " + kinds.joined(separator: ", "), details: jsonObject([("kinds", jsonArray(kinds))]))
        ]
    }
}
