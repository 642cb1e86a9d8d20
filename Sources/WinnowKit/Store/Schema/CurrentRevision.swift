/// The one join from a sample (`s`) to its current revision (`r`) and that revision's content
/// (`c`): a sample's label, score and text are those of the revision `samples.revision_id` names.
enum CurrentRevision {
    /// `JOIN revisions r …`: the current revision of `samples s`.
    static let join = "JOIN revisions r ON r.id = s.revision_id"
    /// `join`, then the revision's content as `contents c`.
    static let joinWithContent = join + " JOIN contents c ON c.id = r.content_id"
}
