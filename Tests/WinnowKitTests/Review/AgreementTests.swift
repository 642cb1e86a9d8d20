import Testing
@testable import WinnowKit

@Suite struct AgreementTests {
    /// 50 items: both yes 20, A yes / B no 5, A no / B yes 10, both no 15.
    /// p_o = 0.7, p_e = 0.5·0.6 + 0.5·0.4 = 0.5, κ = (0.7 − 0.5)/(1 − 0.5) = 0.4.
    @Test func cohenByHand() {
        let pairs =
            Array(repeating: ("yes", "yes"), count: 20) + Array(repeating: ("yes", "no"), count: 5)
            + Array(repeating: ("no", "yes"), count: 10) + Array(repeating: ("no", "no"), count: 15)
        #expect(abs((Agreement.cohen(pairs) ?? 0) - 0.4) < 1e-12)
        #expect(Agreement.cohen([("a", "a"), ("b", "b")]) == 1)
        #expect(Agreement.cohen([]) == nil)
    }

    /// Fleiss' worked example (Wikipedia): 10 items, 14 raters, 5 categories, κ = 0.20993.
    @Test func fleissByHand() {
        let table = [
            [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
        ]
        let ratings = table.map { row in row.enumerated().flatMap { Array(repeating: "c\($0.offset)", count: $0.element) } }
        #expect(abs((Agreement.fleiss(ratings) ?? 0) - 0.20993) < 1e-4)
        #expect(Agreement.raw(ratings) == 0.1)
        #expect(Agreement.fleiss([["a", "a"], ["a"]]) == 1) // items with fewer ratings are left out
    }
}
