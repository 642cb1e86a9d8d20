import Foundation

/// kNN label disagreement, label-noise's other classifier on feature vectors
/// (`label-noise.classifier=knn`): each sample's class probabilities are the votes of its k
/// nearest other samples of the group by cosine (exact search, `VectorSearch.nearest`), so a
/// sample whose neighbours carry another label gets a low probability of its own. A sample
/// never votes for itself, so the probabilities are out of sample, as the K-fold ones are, and
/// the same confident learning reads them. Pure: no SQLite.
public enum NeighbourVotes {
    /// Class probabilities of each row of `matrix` (unit-length rows) from the labels of its `k`
    /// nearest other rows: a neighbour votes for its label with weight max(cosine, 0), and one
    /// more vote is shared out by the classes' shares of `labels` (so a row with no close
    /// neighbour leans on the prior, and no probability is exactly 0):
    /// p_c = (Σ weight of the neighbours labelled c + prior_c) / (Σ weights + 1).
    /// With `among`, only the rows at those indices (positions in it for `labels` and the result).
    public static func probabilities(_ matrix: VectorMatrix, labels: [Int], classes: Int, k: Int, among subset: [Int]? = nil) -> [[Double]] {
        precondition(labels.count == (subset?.count ?? matrix.rows))
        guard !labels.isEmpty else { return [] }
        var prior = [Double](repeating: 0, count: classes)
        for y in labels { prior[y] += 1 }
        prior = prior.map { $0 / Double(labels.count) }
        let found = subset.map { VectorSearch.nearest(among: $0, of: matrix, k: k) } ?? VectorSearch.nearest(matrix, in: matrix, k: k, excludingSelf: true)
        return found.map { neighbours in
            var p = prior
            var total = 1.0
            for n in neighbours {
                let w = Double(max(n.cosine, 0))
                p[labels[n.index]] += w
                total += w
            }
            return p.map { $0 / total }
        }
    }
}
