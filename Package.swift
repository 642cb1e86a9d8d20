// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Winnow",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "winnow", targets: ["winnow"]),
        .library(name: "WinnowKit", targets: ["WinnowKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // The HTTP server behind `winnow serve` (no dependencies of its own; README "Web review").
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        // zlib from the system (Debian's zlib1g-dev), for reading .gz input as a stream.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // snappy and zstd from the system (Debian's libsnappy-dev, libzstd-dev): Parquet pages.
        .systemLibrary(name: "CSnappy", path: "Sources/CSnappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", providers: [.apt(["libzstd-dev"])]),
        // OpenBLAS from the system (Debian's libopenblas-dev): matrix products and LAPACK.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: [.apt(["libopenblas-dev"])]),
        // The domain, the store and the metrics. Never imports ArgumentParser.
        .target(
            name: "WinnowKit",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                "CZlib",
                "CSnappy",
                "CZstd",
                "CBLAS",
            ]
        ),
        // `winnow serve`: the web review over WinnowKit's review calls, every asset embedded.
        .target(
            name: "WinnowServe",
            dependencies: [
                "WinnowKit", .product(name: "FlyingFox", package: "FlyingFox"), .product(name: "FlyingSocks", package: "FlyingFox"),
            ]
        ),
        // The `winnow` command: parses options, calls WinnowKit, renders.
        .executableTarget(
            name: "winnow",
            dependencies: [
                "WinnowKit",
                "WinnowServe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What both test targets share: temporary folders and stores, paths, a hand-moved clock,
        // the seeded corpus generator.
        .target(
            name: "WinnowTestSupport",
            dependencies: ["WinnowKit"],
            path: "Tests/WinnowTestSupport"
        ),
        // The library's tests, in folders that mirror Sources/WinnowKit.
        .testTarget(
            name: "WinnowKitTests",
            dependencies: ["WinnowKit", "WinnowServe", "WinnowTestSupport", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Runs the built `winnow` binary end to end.
        .testTarget(
            name: "WinnowCLITests",
            dependencies: ["winnow", "WinnowTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ]
)
