import Foundation

/// A horizontal bar of `fraction` (0…1) in `width` cells, with eighth-block precision.
func bar(_ fraction: Double, width: Int = 20) -> String {
    let clamped = max(0, min(1, fraction.isFinite ? fraction : 0))
    let eighths = Int((clamped * Double(width) * 8).rounded())
    let blocks = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
    return String(repeating: "█", count: eighths / 8) + blocks[eighths % 8]
}

func decimal(_ value: Double?, _ digits: Int = 3, none: String = "") -> String {
    guard let value else { return none }
    return String(format: "%.\(digits)f", value)
}
