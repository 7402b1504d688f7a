import Foundation
import MarketModel
import Policy
import Training

extension TrainingSession {
    /// Trains `environments` to `job.timesteps` steps, then writes the agent artifact.
    func train<Environment: TrainingEnvironment>(_ environments: [Environment], description: RunDescription) throws -> TrainingSummary {
        let settings = self.settings
        var trainer = PPOTrainer(settings: settings, environments: environments, seed: job.seed)
        if job.environment == .cartpole { trainer.watchedThreshold = 475 }
        let fingerprint = fingerprint(settings, description)
        let lock = try TrainingLock(path: "\(trainingDirectory)/s\(job.seed).lock", label: job.label)
        defer { lock.release() }

        var version = AgentDirectory.version(at: Date(), seed: job.seed)
        var resumedFrom: Int?
        if FileManager.default.fileExists(atPath: checkpointPath) {
            if job.resume {
                let data = try Data(contentsOf: URL(fileURLWithPath: checkpointPath))
                do {
                    let state = try trainer.restore(from: data, path: checkpointPath, fingerprint: fingerprint)
                    version = state.context["version"] ?? version
                    resumedFrom = state.updates
                    output("\(job.label): resumed from \(checkpointPath) at update \(state.updates) (\(state.environmentSteps) env steps)")
                } catch let error as CheckpointError {
                    // Nothing was restored (the checks come first): this run starts over and replaces it.
                    output("\(job.label): cannot resume: \(error); starting a new run")
                }
            } else {
                output("\(job.label): note: replacing the unfinished run's checkpoint \(checkpointPath); pass --resume to continue it instead")
            }
        } else if job.resume {
            output("\(job.label): no checkpoint at \(checkpointPath); starting a new run")
        }
        let log = try TrainingLog(path: "\(configuration.paths.logs)/training/\(job.symbol)-\(version).jsonl", resumedFrom: resumedFrom)
        output("\(job.label): version \(version), \(job.environments) environments, \(job.timesteps) steps; log \(log.path)")
        let every = configuration.training.checkpointEveryUpdates
        do {
            try trainer.train(totalSteps: job.timesteps) { progress, trainer in
                output(progressLine(progress))
                try log.append(progress, job: job, version: version)
                if progress.update % every == 0 { try saveCheckpoint(trainer, fingerprint: fingerprint, version: version) }
            }
        } catch let error as TrainingError {
            let kept = FileManager.default.fileExists(atPath: checkpointPath) ? "the last good checkpoint is \(checkpointPath) (resume with --resume after fixing the cause)" : "no checkpoint was written yet"
            throw TrainingDataError(description: "\(job.label): \(error); \(kept)")
        }

        let metrics = AgentManifest.TrainingMetrics(
            environmentSteps: trainer.environmentSteps, updates: trainer.updates, wallSeconds: trainer.wallSeconds,
            stepsPerSecond: Double(trainer.environmentSteps) / max(trainer.wallSeconds, 1e-9), meanReturnLast100: trainer.meanReturnLast100)
        var hyperparameters = settings.dictionary.merging(description.extra) { $1 }
        hyperparameters["environments"] = Double(job.environments)
        hyperparameters["timesteps"] = Double(job.timesteps)
        let manifest = AgentManifest(
            symbol: job.symbol, version: version, createdAt: UTCTime.nowISO8601, codeVersion: CodeVersion.current,
            environment: job.environment.rawValue,
            architecture: .init(observationSize: trainer.policy.observationSize, actionCount: trainer.policy.actionCount,
                                hiddenLayers: settings.hiddenLayers, activation: settings.activation),
            featureSpecHash: description.featureSpecHash, featureNames: description.featureNames,
            positionFeatures: description.positionFeatures, normalization: trainer.normalizer, actionMeanings: description.actionMeanings,
            hyperparameters: hyperparameters, seed: job.seed, trainingRange: description.dataset?.trainingRange,
            heldOutRange: description.dataset?.heldOutRange, datasetFile: description.dataset?.path,
            datasetSha256: description.dataset?.sha256, metrics: metrics)
        let directory = try AgentDirectory.write(AgentArtifact(manifest: manifest, policy: trainer.policy), agentsDirectory: configuration.paths.agents)
        try? FileManager.default.removeItem(atPath: checkpointPath)
        return TrainingSummary(
            symbol: job.symbol, seed: job.seed, environment: job.environment.rawValue, version: version, envSteps: trainer.environmentSteps,
            updates: trainer.updates, wallS: (trainer.wallSeconds * 1_000).rounded() / 1_000, stepsPerS: metrics.stepsPerSecond.rounded(),
            meanReturnLast100: trainer.meanReturnLast100, stepsToMean100_475: job.environment == .cartpole ? trainer.stepsToThreshold : nil,
            resumedFromUpdate: resumedFrom, peakRssMb: PeakMemory.megabytes, artifact: directory)
    }

    func saveCheckpoint<Environment>(_ trainer: PPOTrainer<Environment>, fingerprint: String, version: String) throws {
        try FileManager.default.createDirectory(atPath: trainingDirectory, withIntermediateDirectories: true)
        let data = try trainer.checkpointData(fingerprint: fingerprint, context: ["version": version, "symbol": job.symbol])
        try AgentDirectory.writeSynced(data, to: checkpointPath)
    }

    func progressLine(_ progress: TrainingProgress) -> String {
        let mean = progress.meanReturnLast100.map { String(format: "%9.3f", $0) } ?? "        -"
        return String(format: "%@: update %4d  %9d/%d steps  %7.0f steps/s  return(100) %@  policy %+.4f  value %.4f  entropy %.3f  kl %.4f  clip %.3f",
                      job.label, progress.update, progress.environmentSteps, job.timesteps, progress.stepsPerSecond, mean,
                      progress.policyLoss, progress.valueLoss, progress.entropy, progress.approximateKL, progress.clipFraction)
    }
}

/// The JSON-lines training log: one line per update.
final class TrainingLog {
    let path: String
    private let handle: FileHandle

    /// Opens the log for appending. A run resumed from the checkpoint of update `resumedFrom` first drops
    /// the lines of later updates: a kill between an update's log line and its checkpoint would otherwise
    /// log that update twice.
    init(path: String, resumedFrom: Int? = nil) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if let resumedFrom, let existing = FileManager.default.contents(atPath: path) {
            let kept = existing.split(separator: 0x0A).filter { line in
                let update = (try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])?["update"] as? Int
                return (update ?? .max) <= resumedFrom
            }
            try AgentDirectory.writeSynced(Data(kept.map { Data($0) + Data([0x0A]) }.joined()), to: path)
        }
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw TrainingDataError(description: "\(path): cannot open the training log") }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    deinit { try? handle.close() }

    func append(_ progress: TrainingProgress, job: TrainingJob, version: String) throws {
        var record: [String: Any] = [
            "time": UTCTime.nowISO8601, "symbol": job.symbol, "seed": job.seed, "version": version, "update": progress.update,
            "env_steps": progress.environmentSteps, "steps_per_s": progress.stepsPerSecond.rounded(), "episodes": progress.episodes,
            "policy_loss": progress.policyLoss, "value_loss": progress.valueLoss, "entropy": progress.entropy,
            "approx_kl": progress.approximateKL, "clip_fraction": progress.clipFraction, "learning_rate": progress.learningRate,
        ]
        if let mean = progress.meanReturnLast100 { record["mean_return_last100"] = mean }
        var line = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        line.append(0x0A)
        try handle.write(contentsOf: line)
    }
}

/// An exclusive lock on a training run (symbol and seed), so two processes never write one checkpoint.
/// Waits a little for a killed run's orphaned worker to notice and exit.
final class TrainingLock {
    private let descriptor: Int32

    init(path: String, label: String, waitSeconds: Double = 15) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw TrainingDataError(description: "\(path): cannot open the lock file") }
        let deadline = Date().addingTimeInterval(waitSeconds)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard Date() < deadline else {
                close(descriptor)
                throw TrainingDataError(description: "\(label): another training run holds \(path); wait for it or stop it")
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// The process's peak resident memory (VmHWM), MB.
enum PeakMemory {
    static var megabytes: Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return (kilobytes / 1_024 * 10).rounded() / 10
    }
}

extension UTCTime {
    /// The current time, ISO 8601 UTC.
    static var nowISO8601: String { UTCTime(milliseconds: Int64(Date().timeIntervalSince1970 * 1_000)).iso8601 }
}
