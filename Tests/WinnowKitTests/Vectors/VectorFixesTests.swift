import Foundation
import Testing
@testable import WinnowKit

/// Small fixes of issue 14's vector work: the Vendi score's eigenvalue cutoff, a chat without
/// user turns, OpenBLAS's thread count under OPENBLAS_NUM_THREADS.
@Suite struct VectorFixesTests {
    @Test func vendiCutoffIsRelativeToTheLargestEigenvalue() {
        // e1, e2, e3 among 2,000,000 zero rows: XᵀX/n = I/n, three eigenvalues of 1/n = 5e-7,
        // below the old absolute cutoff of 1e-6 (which dropped them all and gave exp(0) = 1).
        // Their mass: exp(−3 · (1/n) · ln(1/n)) = exp(3 ln(n) / n) = 1.0000217632.
        let n = 2_000_003
        var values = [Float](repeating: 0, count: n * 3)
        values[0] = 1
        values[4] = 1
        values[8] = 1
        let m = VectorMatrix(dimension: 3, values: values)
        let expected = Foundation.exp(3 * Foundation.log(Double(n)) / Double(n))
        #expect(abs(VectorDiversity.vendiScore(m) - expected) < 2e-6, "\(VectorDiversity.vendiScore(m)) vs \(expected)")
        // Rounding's near-zero eigenvalues still carry no mass: copies of one vector are 1.
        let copies = VectorMatrix(Array(repeating: [0.3, -0.4, 0.5, 0.1], count: 700), dimension: 4)
        #expect(abs(VectorDiversity.vendiScore(copies) - 1) < 1e-5)
    }

    @Test func aChatWithoutUserTurnsEmbedsAllItsTurns() {
        let withUser = SampleContent.chat([
            ChatMessage(role: "system", content: "be brief"), ChatMessage(role: "user", content: "hi"),
            ChatMessage(role: "assistant", content: "hello"), ChatMessage(role: "user", content: "bye"),
        ])
        #expect(EmbeddingText.of(withUser) == "hi\nbye")
        let without = SampleContent.chat([ChatMessage(role: "system", content: "be brief"), ChatMessage(role: "assistant", content: "hello")])
        #expect(EmbeddingText.of(without) == "be brief\nhello")
        #expect(EmbeddingText.of(.chat([])) == "")
    }

    @Test func openBLASThreadsNeverExceedOPENBLAS_NUM_THREADS() {
        #expect(BLAS.threads(2, environment: ["OPENBLAS_NUM_THREADS": "1"]) == 1)
        #expect(BLAS.threads(8, environment: ["OPENBLAS_NUM_THREADS": " 3 "]) == 3)
        #expect(BLAS.threads(1, environment: ["OPENBLAS_NUM_THREADS": "4"]) == 1)
        // Unset, empty, zero or not a number: the count asked for (at least 1).
        for value in [nil, "", "0", "-2", "many"] as [String?] {
            #expect(BLAS.threads(2, environment: value.map { ["OPENBLAS_NUM_THREADS": $0] } ?? [:]) == 2)
        }
        #expect(BLAS.threads(0, environment: [:]) == 1)
    }
}
