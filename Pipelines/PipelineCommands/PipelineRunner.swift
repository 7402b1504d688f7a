import ChildProcesses
import Crypto
import Foundation
import MarketModel
import Storage

/// An exclusive lock on pipeline runs: a file lock (released by the kernel when the holder dies, even
/// by kill -9) whose file names the holder, so a second run can say which run is active.
final class RunLock {
    private let descriptor: Int32
    let path: String

    struct Busy: Error, CustomStringConvertible {
        var holder: String
        var description: String { "another pipeline run is active: \(holder); exiting" }
    }

    /// Takes the lock at once or throws `Busy` naming the holder.
    init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw RegistryError(description: "\(path): cannot open the run lock") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw Busy(holder: holder?.isEmpty == false ? holder! : "a run that has not recorded itself yet (\(path))")
        }
    }

    /// Writes who holds the lock into the lock file.
    func describe(_ holder: String) {
        ftruncate(descriptor, 0)
        let bytes = Array((holder + "\n").utf8)
        _ = pwrite(descriptor, bytes, bytes.count, 0)
    }

    func release() {
        ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// Runs stages in order, per symbol (in parallel where the stage allows), skipping work whose inputs are
/// unchanged since a success, recording every run and stage in the store. A failed stage stops the later
/// stages of that symbol only; its previous good outputs stay in place (every output is written to a
/// temporary file and renamed).
struct PipelineRunner: Sendable {
    let records: PipelineRecords
    /// The store the bookkeeping goes through, off the cooperative pool (stages of several symbols run at once).
    let database: AsyncStore
    let stages: [StageDefinition]
    let symbols: [Symbol]
    let workers: Int
    let codeVersion: String

    struct StageResult: Sendable {
        var stage: StageName
        var symbol: Symbol
        /// succeeded, skipped, failed or blocked.
        var status: String
        var seconds: Double
        var outputs: [String: String]
        var detail: String
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000) }

    func hash(_ stage: StageName, _ inputs: [String: String]) -> String {
        let text = (["stage=\(stage.rawValue)", "code=\(codeVersion)"] + inputs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
            .joined(separator: "\n")
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Runs every stage; returns the results in stage order.
    func run(runID: Int64) async -> [StageResult] {
        var results: [StageResult] = []
        var blocked: [String: String] = [:]  // symbol → the stage that failed
        for stage in stages {
            let jobs = symbols.filter { blocked[$0.name] == nil }
            for symbol in symbols where blocked[symbol.name] != nil {
                results.append(StageResult(stage: stage.name, symbol: symbol, status: "blocked", seconds: 0, outputs: [:],
                                           detail: "not run: \(blocked[symbol.name]!) failed"))
            }
            let finished = await boundedConcurrentMap(jobs, width: stage.parallel ? workers : 1) { symbol in
                await runOne(stage, symbol, runID: runID)
            }.sorted { $0.symbol.name < $1.symbol.name }
            for result in finished where result.status == "failed" { blocked[result.symbol.name] = stage.name.rawValue }
            results += finished
        }
        return results
    }

    /// Before the child starts: either the stage's result (skipped, failed, nothing to do) or its record
    /// and the child's arguments.
    private enum Preparation: Sendable {
        case done(status: String, outputs: [String: String], detail: String)
        case start(stageID: Int64, arguments: [String])
    }

    func runOne(_ stage: StageDefinition, _ symbol: Symbol, runID: Int64) async -> StageResult {
        let label = "\(stage.name.rawValue) \(symbol.name)"
        let started = Date()
        func result(_ status: String, _ outputs: [String: String], _ detail: String) -> StageResult {
            StageResult(stage: stage.name, symbol: symbol, status: status, seconds: Date().timeIntervalSince(started), outputs: outputs, detail: detail)
        }
        // Hashing inputs and recording the stage read the store and files: on the store's queue.
        let preparation = (try? await database.run { _ in prepare(stage, symbol, runID: runID, label: label) })
            ?? .done(status: "failed", outputs: [:], detail: "the store is unavailable")
        let stageID: Int64, arguments: [String]
        switch preparation {
        case let .done(status, outputs, detail): return result(status, outputs, detail)
        case let .start(id, childArguments): (stageID, arguments) = (id, childArguments)
        }
        StageProcess.say("[\(label)] pipeline \(arguments.joined(separator: " "))")
        let child = await StageProcess.run(arguments, label: label)
        let records = self.records
        let finished = (try? await database.run { _ -> Result<[String: String], RegistryError> in
            do {
                guard child.succeeded else { throw RegistryError(description: child.failure) }
                let outputs = try stage.outputs(symbol, child.summaries.map(StageProcess.fields))
                try records.finishStage(stageID, status: "succeeded", outputs: outputs, error: nil, at: Self.now())
                return .success(outputs)
            } catch {
                try? records.finishStage(stageID, status: "failed", outputs: [:], error: "\(error)", at: Self.now())
                return .failure(RegistryError(description: "\(error)"))
            }
        }) ?? .failure(RegistryError(description: "the store is unavailable"))
        switch finished {
        case let .success(outputs): return result("succeeded", outputs, "")
        case let .failure(error): return result("failed", [:], error.description)
        }
    }

    /// The synchronous part before a stage's child: skip check, stage record, arguments.
    private func prepare(_ stage: StageDefinition, _ symbol: Symbol, runID: Int64, label: String) -> Preparation {
        let inputHash: String
        let arguments: [String]
        do {
            inputHash = hash(stage.name, try stage.inputs(symbol))
            if !stage.alwaysRuns, let last = try records.lastSuccess(stage: stage.name.rawValue, symbol: symbol.name),
               last.inputHash == inputHash, stage.outputsExist(last.outputs) {
                try records.recordSkippedStage(runID: runID, stage: stage.name.rawValue, symbol: symbol.name, inputHash: inputHash,
                                               outputs: last.outputs, at: Self.now())
                StageProcess.say("[\(label)] skipped: inputs unchanged since run \(last.runID)")
                return .done(status: "skipped", outputs: last.outputs, detail: "inputs unchanged since run \(last.runID)")
            }
            arguments = try stage.arguments(symbol)
        } catch {
            StageProcess.say("[\(label)] failed before starting: \(error)")
            if let id = try? records.startStage(runID: runID, stage: stage.name.rawValue, symbol: symbol.name, inputHash: "", at: Self.now()) {
                try? records.finishStage(id, status: "failed", outputs: [:], error: "\(error)", at: Self.now())
            }
            return .done(status: "failed", outputs: [:], detail: "\(error)")
        }
        let stageID: Int64
        do {
            stageID = try records.startStage(runID: runID, stage: stage.name.rawValue, symbol: symbol.name, inputHash: inputHash, at: Self.now())
        } catch {
            return .done(status: "failed", outputs: [:], detail: "cannot record the stage: \(error)")
        }
        if arguments.isEmpty {  // nothing upstream for this symbol (e.g. no agent was evaluated)
            let outputs = ["outcome": "nothing to do"]
            try? records.finishStage(stageID, status: "succeeded", outputs: outputs, error: nil, at: Self.now())
            StageProcess.say("[\(label)] nothing to do: no evaluated agent")
            return .done(status: "succeeded", outputs: outputs, detail: "nothing to do")
        }
        return .start(stageID: stageID, arguments: arguments)
    }
}
