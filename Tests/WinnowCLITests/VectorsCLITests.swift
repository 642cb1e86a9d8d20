import Foundation
import GRDB
import Testing
import WinnowKit

/// `winnow vectors import / export / list`, `winnow similar` and the feature-space diversity of
/// `stats`, through the built binary, on hand-made vectors.
@Suite struct VectorsCLITests {
    /// A store with samples s1…s5 (labels a, a, b, b, b; domains x, x, x, y, y).
    func store() throws -> (TempDir, String) {
        let dir = TempDir()
        let db = dir.file("w.db")
        var lines = ""
        let labels = ["a", "a", "b", "b", "b"], domains = ["x", "x", "x", "y", "y"]
        for i in 0..<5 {
            lines += "{\"id\": \"s\(i + 1)\", \"text\": \"sample number \(i + 1) of the vector tests\", \"label\": \"\(labels[i])\", \"domain\": \"\(domains[i])\"}\n"
        }
        dir.write("in.jsonl", lines)
        let run = try winnow(["import", dir.file("in.jsonl"), "--map", "scene.domain=domain", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        return (dir, db)
    }

    func json(_ run: Run) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)\n\(run.stderr)")
    }

    /// JSON Lines of these vectors.
    func jsonl(_ vectors: [(String, [Float])]) -> String {
        vectors.map { "{\"uid\": \"\($0.0)\", \"vector\": [\($0.1.map { "\($0)" }.joined(separator: ", "))]}\n" }.joined()
    }

    static let numpy: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import numpy"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    /// Runs a python3 script; returns its stdout.
    func python(_ script: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script]
        let run = try captured(p)
        #expect(run.status == 0, "\(run.stderr)")
        return run.stdout
    }

    @Test func importListExportRoundTrip() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        dir.write("v.jsonl", jsonl([("s1", [1, 0, 0]), ("s2", [0, 2, 0]), ("s3", [0.6, 0.8, 0]), ("s4", [0, 0, 1])]))
        let imported = try winnow(["vectors", "import", dir.file("v.jsonl"), "--model", "mine", "--db", db])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout == "\(dir.file("v.jsonl")): 4 vectors read, 4 stored, 0 replaced, 0 unchanged · model mine (3 dimensions, float32)\n")

        let list = try json(try winnow(["vectors", "list", "--json", "--db", db]))
        let models = try #require(list["models"] as? [[String: Any]])
        #expect(models.count == 1)
        #expect(models[0]["name"] as? String == "mine")
        #expect(models[0]["dimension"] as? Int == 3)
        #expect(models[0]["origin"] as? String == "import")
        #expect(models[0]["vectors"] as? Int == 4)
        #expect(models[0]["active_with_vector"] as? Int == 4)
        #expect(models[0]["active_without"] as? Int == 1)
        #expect(try winnow(["vectors", "--db", db]).stdout.contains("mine"), "list is the default subcommand")

        // Export: unit-length vectors (s2 was scaled), in sample order, s5 without one left out.
        let out = try winnow(["vectors", "export", dir.file("out.jsonl"), "--db", db])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout == "\(dir.file("out.jsonl")): 4 vectors of model mine (3 dimensions, jsonl)\n")
        let written = try String(contentsOfFile: dir.file("out.jsonl"), encoding: .utf8)
        #expect(
            written == """
                {"uid":"s1","vector":[1.0,0.0,0.0]}
                {"uid":"s2","vector":[0.0,1.0,0.0]}
                {"uid":"s3","vector":[0.6,0.8,0.0]}
                {"uid":"s4","vector":[0.0,0.0,1.0]}

                """)
        #expect(try winnow(["vectors", "export", dir.file("out.jsonl"), "--db", db]).stderr.contains("exists; pass --force"))
        #expect(try winnow(["vectors", "export", dir.file("out.jsonl"), "--force", "--db", db]).status == 0)

        // The export imports back bit for bit: again under the same model changes nothing…
        let again = try winnow(["vectors", "import", dir.file("out.jsonl"), "--model", "mine", "--db", db])
        #expect(again.stdout.contains("4 vectors read, 0 stored, 0 replaced, 4 unchanged"))
        // …and under another model it exports the same bytes.
        #expect(try winnow(["vectors", "import", dir.file("out.jsonl"), "--model", "copy", "--dtype", "float32", "--db", db]).status == 0)
        #expect(try winnow(["vectors", "export", dir.file("copy.jsonl"), "--model", "copy", "--db", db]).status == 0)
        #expect(try String(contentsOfFile: dir.file("copy.jsonl"), encoding: .utf8) == written)
        // With two models, commands that read vectors ask which.
        let ambiguous = try winnow(["vectors", "export", dir.file("x.jsonl"), "--db", db])
        #expect(ambiguous.status == 1)
        #expect(ambiguous.stderr.contains("several models (copy, mine); pass --model NAME"))

        // Another file replaces what it names.
        dir.write("v2.jsonl", jsonl([("s1", [0, 1, 0]), ("s5", [1, 1, 1])]))
        let replace = try winnow(["vectors", "import", dir.file("v2.jsonl"), "--model", "mine", "--json", "--db", db])
        let r = try json(replace)
        #expect(r["stored"] as? Int == 1 && r["replaced"] as? Int == 1 && r["unchanged"] as? Int == 0 && r["read"] as? Int == 2)
        #expect(r["dimension"] as? Int == 3 && r["format"] as? String == "jsonl" && r["skipped_unknown"] as? Int == 0)
        #expect(r.keys.contains("uids") && r["uids"] is NSNull)
    }

    @Test func badFilesAreRefusedWholeWithTheirLines() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let file = dir.write(
            "bad.jsonl",
            """
            {"uid": "s1", "vector": [1, 0, 0]}
            {"uid": "s2", "vector": [1, 0]}
            {"uid": "s3", "vector": [0, 0, 0]}
            {"uid": "s4", "vector": [1, "x", 0]}
            {"uid": "nobody", "vector": [1, 1, 0]}
            {"uid": "s1", "vector": [0, 1, 0]}
            not json
            {"vector": [0, 1, 0]}
            {"uid": "s5", "vector": [1e39, 0, 0]}
            {"uid": "s5", "embedding": [0, 1, 0]}

            """)
        let run = try winnow(["vectors", "import", file, "--model", "mine", "--db", db])
        #expect(run.status == 1)
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasSuffix("\(file):2: 2 values, expected 3 (the first vector, line 1, has 3)") }, "\(run.stderr)")
        #expect(lines.contains { $0.hasSuffix("\(file):3: a vector of zeros has no direction; leave the sample out instead") })
        #expect(lines.contains { $0.hasSuffix("\(file):4: 'vector'[1] is x, expected a number") })
        #expect(lines.contains { $0.hasSuffix("\(file):5: no sample with uid 'nobody' (pass --skip-unknown to leave such records out)") })
        #expect(lines.contains { $0.hasSuffix("\(file):6: uid 's1' is also at line 1; the store keeps one vector per sample and model") })
        #expect(lines.contains { $0.hasPrefix("\(file):7: ") })
        #expect(lines.contains { $0.hasSuffix("\(file):8: no 'uid' field (pass --uid-field to name it)") })
        #expect(lines.contains { $0.hasSuffix("\(file):9: value 0 is not a finite float32 number") })
        #expect(lines.contains { $0.hasSuffix("\(file):10: no 'vector' field (pass --vector-field to name it)") })
        #expect(run.stderr.contains("no vectors were imported; fix these records and run again"))
        // Nothing was stored: not even the model.
        #expect(try query(db, "SELECT count(*) FROM embedding_models") == 0)
        #expect(try query(db, "SELECT count(*) FROM vectors") == 0)

        // --skip-unknown leaves out records of uids no sample has; fields are named by option.
        dir.write("emb.jsonl", "{\"id\": \"s1\", \"embedding\": [1, 0]}\n{\"id\": \"gone\", \"embedding\": [0, 1]}\n")
        let refused = try winnow(["vectors", "import", dir.file("emb.jsonl"), "--model", "m", "--uid-field", "id", "--vector-field", "embedding", "--db", db])
        #expect(refused.status == 1 && refused.stderr.contains("emb.jsonl:2: no sample with uid 'gone'"))
        let skipped = try winnow([
            "vectors", "import", dir.file("emb.jsonl"), "--model", "m", "--uid-field", "id", "--vector-field", "embedding", "--skip-unknown", "--db", db,
        ])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stdout.contains("2 vectors read, 1 stored, 0 replaced, 0 unchanged, 1 with an unknown uid left out"))
        // An existing model keeps its dimension.
        dir.write("three.jsonl", jsonl([("s2", [1, 0, 0])]))
        let wrong = try winnow(["vectors", "import", dir.file("three.jsonl"), "--model", "m", "--db", db])
        #expect(wrong.stderr.contains("three.jsonl:1: 3 values, expected 2 (model 'm' has 2)"))

        // Whole-file refusals.
        dir.write("empty.jsonl", "")
        #expect(try winnow(["vectors", "import", dir.file("empty.jsonl"), "--model", "e", "--db", db]).status == 1)
        dir.write("v.csv", "uid,vector\n")
        let csv = try winnow(["vectors", "import", dir.file("v.csv"), "--model", "e", "--db", db])
        #expect(csv.status == 1 && csv.stderr.contains("vectors come as .jsonl"), "\(csv.stderr)")
        #expect(try winnow(["vectors", "import", dir.file("missing.jsonl"), "--model", "e", "--db", db]).status == 1)
        let uidsWithJSONL = try winnow(["vectors", "import", dir.file("emb.jsonl"), "--model", "e", "--uids", "u.txt", "--db", db])
        #expect(uidsWithJSONL.stderr.contains("--uids goes with a .npy file"))
        #expect(try query(db, "SELECT count(*) FROM embedding_models WHERE name = 'e'") == 0)
    }

    @Test func embedsModelIsNotImportedInto() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let s = try Store(path: db, mode: .existing)
        _ = try s.registerEmbeddingModel(name: "all-MiniLM-L6-v2", dimension: 2, dtype: .float32, origin: .embed, fingerprint: "abc", maxTokens: 256)
        dir.write("v.jsonl", jsonl([("s1", [1, 0])]))
        let run = try winnow(["vectors", "import", dir.file("v.jsonl"), "--model", "all-MiniLM-L6-v2", "--db", db])
        #expect(run.status == 1)
        #expect(run.stderr.contains("model 'all-MiniLM-L6-v2' holds the vectors `winnow embed` computes; import yours under another --model name"))
    }

    @Test(.enabled(if: numpy, "needs python3 with numpy")) func npyFilesGoBothWaysWithNumpy() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        // numpy writes: float32, float64, float16, Fortran order and big-endian all import.
        let script = """
            import numpy as np
            a = np.array([[3, 4, 0], [0, 0, 2], [1, 0, 0]], dtype=np.float32)
            np.save('\(dir.file("f4.npy"))', a)
            np.save('\(dir.file("f8.npy"))', a.astype(np.float64))
            np.save('\(dir.file("f2.npy"))', a.astype(np.float16))
            np.save('\(dir.file("fortran.npy"))', np.asfortranarray(a))
            np.save('\(dir.file("big.npy"))', a.astype('>f4'))
            np.save('\(dir.file("flat.npy"))', a.ravel())
            np.save('\(dir.file("ints.npy"))', a.astype(np.int32))
            """
        _ = try python(script)
        dir.write("ids.txt", "s1\ns2\ns3\n")
        for name in ["f4", "f8", "f2", "fortran", "big"] {
            let run = try winnow(["vectors", "import", dir.file("\(name).npy"), "--uids", dir.file("ids.txt"), "--model", name, "--db", db])
            #expect(run.status == 0, "\(name): \(run.stderr)")
            #expect(run.stdout.contains("3 vectors read, 3 stored"))
            #expect(try winnow(["vectors", "export", dir.file("\(name).jsonl"), "--model", name, "--db", db]).status == 0)
            #expect(
                try String(contentsOfFile: dir.file("\(name).jsonl"), encoding: .utf8)
                    == "{\"uid\":\"s1\",\"vector\":[0.6,0.8,0.0]}\n{\"uid\":\"s2\",\"vector\":[0.0,0.0,1.0]}\n{\"uid\":\"s3\",\"vector\":[1.0,0.0,0.0]}\n",
                "\(name)")
        }
        for (name, reason) in [("flat", "its shape is (9), expected (rows, dimension)"), ("ints", "its values are '<i4', expected floats")] {
            let run = try winnow(["vectors", "import", dir.file("\(name).npy"), "--uids", dir.file("ids.txt"), "--model", name, "--db", db])
            #expect(run.status == 1 && run.stderr.contains(reason), "\(run.stderr)")
        }
        // Row and uid counts must agree; the default uids file sits beside the .npy.
        dir.write("two.txt", "s1\ns2\n")
        let short = try winnow(["vectors", "import", dir.file("f4.npy"), "--uids", dir.file("two.txt"), "--model", "x", "--db", db])
        #expect(short.stderr.contains("has 3 rows and \(dir.file("two.txt")) 2 uids"))
        let noUIDs = try winnow(["vectors", "import", dir.file("f4.npy"), "--model", "x", "--db", db])
        #expect(noUIDs.status == 1 && noUIDs.stderr.contains("f4.uids.txt") && noUIDs.stderr.contains("pass --uids FILE"))
        dir.write("unknown.txt", "s1\nnobody\ns3\n")
        let unknown = try winnow(["vectors", "import", dir.file("f4.npy"), "--uids", dir.file("unknown.txt"), "--model", "x", "--db", db])
        #expect(unknown.stderr.contains("unknown.txt:2: no sample with uid 'nobody'"))

        // Winnow writes: numpy loads the array, and its uids file lines up with the rows.
        let out = try winnow(["vectors", "export", dir.file("out.npy"), "--model", "f4", "--db", db])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("3 vectors of model f4 (3 dimensions, npy), uids in \(dir.file("out.uids.txt"))"))
        #expect(try String(contentsOfFile: dir.file("out.uids.txt"), encoding: .utf8) == "s1\ns2\ns3\n")
        let loaded = try python(
            "import numpy as np; a = np.load('\(dir.file("out.npy"))'); print(a.dtype, a.shape, a.flags['C_CONTIGUOUS'], ' '.join('%g' % x for x in a.ravel()))")
        #expect(loaded == "float32 (3, 3) True 0.6 0.8 0 0 0 1 1 0 0\n")
        // …and imports back, under --format npy with a named uids file too.
        #expect(try winnow(["vectors", "export", dir.file("named.bin"), "--format", "npy", "--uids", dir.file("named.txt"), "--model", "f4", "--db", db]).status == 0)
        #expect(try python("import numpy as np; print(np.load('\(dir.file("named.bin"))').shape)") == "(3, 3)\n")
        let back = try winnow(["vectors", "import", dir.file("out.npy"), "--model", "f4", "--db", db])
        #expect(back.stdout.contains("3 vectors read, 0 stored, 0 replaced, 3 unchanged"), "\(back.stderr)")
    }

    @Test func similarListsTheNearestSamples() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        dir.write("v.jsonl", jsonl([("s1", [1, 0]), ("s2", [0.8, 0.6]), ("s3", [0, 1]), ("s4", [-1, 0])]))
        #expect(try winnow(["vectors", "import", dir.file("v.jsonl"), "--model", "m", "--db", db]).status == 0)
        let doc = try json(try winnow(["similar", "s1", "--k", "2", "--json", "--db", db]))
        #expect(doc["model"] as? String == "m" && doc["uid"] as? String == "s1" && doc["text"] is NSNull && doc["k"] as? Int == 2)
        let neighbours = try #require(doc["neighbours"] as? [[String: Any]])
        #expect(neighbours.map { $0["uid"] as? String } == ["s2", "s3"])
        #expect(abs((neighbours[0]["cosine"] as? Double ?? 0) - 0.8) < 1e-6)
        #expect(abs((neighbours[1]["cosine"] as? Double ?? 1)) < 1e-6)
        #expect(neighbours[0]["label"] as? String == "a")
        #expect(neighbours[0]["text"] as? String == "sample number 2 of the vector tests")
        let all = try json(try winnow(["similar", "s1", "--json", "--db", db]))
        #expect((all["neighbours"] as? [[String: Any]])?.map { $0["uid"] as? String } == ["s2", "s3", "s4"], "the sample itself is never its neighbour")
        let text = try winnow(["similar", "s3", "--k", "1", "--db", db])
        #expect(text.stdout.hasPrefix("nearest to sample s3 · model m\n"))
        #expect(text.stdout.contains("0.6000  a      sample number 2 of the vector tests"), "\(text.stdout)")
        let csv = try winnow(["similar", "s3", "--k", "1", "--csv", "--db", db])
        #expect(csv.stdout == "#,uid,cosine,label,text\n1,s2,0.6000,a,sample number 2 of the vector tests\n")

        let noVector = try winnow(["similar", "s5", "--db", db])
        #expect(noVector.status == 1 && noVector.stderr.contains("sample s5 has no vector of model 'm'; run `winnow embed`"))
        let unknown = try winnow(["similar", "nobody", "--db", db])
        #expect(unknown.status == 1 && unknown.stderr.contains("no sample with uid 'nobody'"))
        let model = try winnow(["similar", "s1", "--model", "other", "--db", db])
        #expect(model.status == 1 && model.stderr.contains("unknown vector model 'other'; known: m"))
        #expect(try winnow(["similar", "--db", db]).status == 64)
        #expect(try winnow(["similar", "s1", "--text", "hi", "--db", db]).status == 64)
        #expect(try winnow(["similar", "s1", "--k", "0", "--db", db]).status == 64)
    }

    @Test func similarWithoutVectorsSaysWhatToRun() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        let run = try winnow(["similar", "s1", "--db", db])
        #expect(run.status == 1)
        #expect(run.stderr.contains("the store holds no vectors; run `winnow embed`"))
        #expect(try winnow(["vectors", "list", "--db", db]).stdout.hasPrefix("no vectors yet"))
        // stats has no feature-space figures then.
        let stats = try json(try winnow(["stats", "--json", "--db", db]))
        #expect((stats["diversity"] as? [String: Any])?["vectors"] as? [Any] != nil)
        #expect(((stats["diversity"] as? [String: Any])?["vectors"] as? [Any])?.isEmpty == true)
    }

    @Test func statsReportsFeatureSpaceDiversity() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        // Label a: s1, s2 the same direction (Vendi 1, distance 0). Label b: s3, s4 orthogonal
        // and s5 with none. Domain x: s1, s2, s3 (two copies and one orthogonal); y: s4 alone.
        dir.write("v.jsonl", jsonl([("s1", [1, 0, 0]), ("s2", [2, 0, 0]), ("s3", [0, 1, 0]), ("s4", [0, 0, 1])]))
        #expect(try winnow(["vectors", "import", dir.file("v.jsonl"), "--model", "m", "--db", db]).status == 0)
        let stats = try json(try winnow(["stats", "--json", "--db", db]))
        let vectors = try #require((stats["diversity"] as? [String: Any])?["vectors"] as? [[String: Any]])
        #expect(vectors.count == 1)
        let v = vectors[0]
        #expect(v["model"] as? String == "m" && v["dimension"] as? Int == 3 && v["without_vector"] as? Int == 1)
        #expect(v["vendi_sample_size"] as? Int == 5000 && v["seed"] as? Int == 14)
        func figure(_ r: Any?, _ key: String) -> Double? { (r as? [String: Any])?[key] as? Double }
        // All four: K/4 has eigenvalues 1/2, 1/4, 1/4: exp(−(½ ln ½ + ½ ln ¼)) = 2^1.5.
        let all = v["all"] as? [String: Any]
        #expect(all?["samples"] as? Int == 4 && all?["vendi_sample"] as? Int == 4)
        #expect(abs(figure(all, "vendi_score")! - pow(2, 1.5)) < 1e-4)
        // Pairs: one at distance 0 (s1, s2), five at 1.
        #expect(abs(figure(all, "mean_cosine_distance")! - 5.0 / 6) < 1e-9)
        let labels = try #require(v["labels"] as? [String: Any])
        #expect(abs(figure(labels["a"], "vendi_score")! - 1) < 1e-4)
        #expect(abs(figure(labels["a"], "mean_cosine_distance")! - 0) < 1e-9)
        #expect(abs(figure(labels["b"], "vendi_score")! - 2) < 1e-4)
        #expect(abs(figure(labels["b"], "mean_cosine_distance")! - 1) < 1e-9)
        let domain = try #require((v["scenes"] as? [String: Any])?["domain"] as? [String: Any])
        // x: s1, s2, s3: eigenvalues 2/3, 1/3.
        #expect(abs(figure(domain["x"], "vendi_score")! - exp(-(2.0 / 3 * log(2.0 / 3) + 1.0 / 3 * log(1.0 / 3)))) < 1e-4)
        #expect(abs(figure(domain["x"], "mean_cosine_distance")! - 2.0 / 3) < 1e-9)
        #expect((domain["y"] as? [String: Any])?["samples"] as? Int == 1)
        #expect((domain["y"] as? [String: Any])?["mean_cosine_distance"] is NSNull, "one sample has no pair")

        let text = try winnow(["stats", "--db", db])
        #expect(text.stdout.contains("feature space, model m (3 dimensions): Vendi score on a seeded sample of up to 5000 · without a vector: 1"))
        #expect(text.stdout.contains("label a"), "\(text.stdout)")
        #expect(text.stdout.contains("scene.domain=y"))

        // A snapshot keeps its members' vectors; --model picks one model.
        #expect(try winnow(["snapshot", "create", "v1", "--db", db]).status == 0)
        let snap = try json(try winnow(["stats", "--snapshot", "v1", "--model", "m", "--json", "--db", db]))
        let snapVectors = try #require((snap["diversity"] as? [String: Any])?["vectors"] as? [[String: Any]])
        #expect(abs(figure(snapVectors.first?["all"], "vendi_score")! - pow(2, 1.5)) < 1e-4)
        let unknown = try winnow(["stats", "--model", "nope", "--db", db])
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown vector model 'nope'"))
    }

    @Test func similarToATextUsesTheModelsEncoder() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        // Imported vectors have no encoder: --text says so.
        dir.write("v.jsonl", jsonl([("s1", [1, 0]), ("s2", [0, 1])]))
        #expect(try winnow(["vectors", "import", dir.file("v.jsonl"), "--model", "m", "--db", db]).status == 0)
        let imported = try winnow(["similar", "--text", "hello", "--model", "m", "--db", db])
        #expect(imported.status == 1 && imported.stderr.contains("holds imported vectors"), "\(imported.stderr)")
        guard sentenceEncoderIsBuilt else { return }
        // The default model: a text the same as a sample's is its nearest, at cosine ≈ 1.
        let embed = try winnow(["embed", "--db", db])
        #expect(embed.status == 0, "\(embed.stderr)")
        let models = try json(try winnow(["vectors", "list", "--json", "--db", db]))["models"] as? [[String: Any]]
        let name = try #require(models?.first { $0["origin"] as? String == "embed" }?["name"] as? String)
        let doc = try json(try winnow(["similar", "--text", "sample number 4 of the vector tests", "--k", "2", "--model", name, "--json", "--db", db]))
        #expect(doc["text"] as? String == "sample number 4 of the vector tests" && doc["uid"] is NSNull)
        let neighbours = try #require(doc["neighbours"] as? [[String: Any]])
        #expect(neighbours.first?["uid"] as? String == "s4")
        #expect((neighbours.first?["cosine"] as? Double ?? 0) > 0.999)
        #expect(neighbours.count == 2)
    }

    @Test func aTmpdirWithNoRoomForTheScratchFileIsAClearError() throws {
        let (dir, db) = try store()
        defer { withExtendedLifetime(dir) {} }
        dir.write("v.jsonl", jsonl([("s1", [1, 0, 0]), ("s2", [0, 1, 0]), ("s3", [0.6, 0.8, 0])]))
        #expect(try winnow(["vectors", "import", dir.file("v.jsonl"), "--model", "mine", "--db", db]).status == 0)
        let missing = dir.file("no-such-folder")
        let run = try winnow(["similar", "s1", "--db", db], env: ["TMPDIR": missing])
        #expect(run.status != 0 && run.stdout.isEmpty)
        #expect(run.stderr.contains("cannot create a scratch file in \(missing)"), "\(run.stderr)")
        #expect(run.stderr.contains("set TMPDIR to a folder with room") && !run.stderr.contains("Fatal"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: missing))
        #expect(try winnow(["similar", "s1", "--db", db]).status == 0, "with TMPDIR back, it works")
    }
}
