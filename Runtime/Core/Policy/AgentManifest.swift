import Foundation

/// `manifest.json` of an agent artifact: what it is, what it was trained on and how.
public struct AgentManifest: Codable, Sendable, Equatable {
    public struct Architecture: Codable, Sendable, Equatable {
        public var observationSize: Int
        public var actionCount: Int
        public var hiddenLayers: [Int]
        public var activation: Activation
        /// Actor and critic are separate networks (SB3's default).
        public var separateActorCritic = true

        public init(observationSize: Int, actionCount: Int, hiddenLayers: [Int], activation: Activation) {
            self.observationSize = observationSize
            self.actionCount = actionCount
            self.hiddenLayers = hiddenLayers
            self.activation = activation
        }
    }

    /// A range of tensor rows and their bar open times (UTC ms).
    public struct RowRange: Codable, Sendable, Equatable {
        public var firstRow: Int
        public var rowCount: Int
        public var firstOpenTime: Int64
        public var lastOpenTime: Int64

        public init(firstRow: Int, rowCount: Int, firstOpenTime: Int64, lastOpenTime: Int64) {
            self.firstRow = firstRow
            self.rowCount = rowCount
            self.firstOpenTime = firstOpenTime
            self.lastOpenTime = lastOpenTime
        }
    }

    public struct TrainingMetrics: Codable, Sendable, Equatable {
        public var environmentSteps: Int
        public var updates: Int
        public var wallSeconds: Double
        public var stepsPerSecond: Double
        public var meanReturnLast100: Double?

        public init(environmentSteps: Int, updates: Int, wallSeconds: Double, stepsPerSecond: Double, meanReturnLast100: Double?) {
            self.environmentSteps = environmentSteps
            self.updates = updates
            self.wallSeconds = wallSeconds
            self.stepsPerSecond = stepsPerSecond
            self.meanReturnLast100 = meanReturnLast100
        }
    }

    public var formatVersion = 1
    public var symbol: String
    /// Sortable and unique: `YYYYMMDDTHHMMSSmmmZ-s{seed}`.
    public var version: String
    /// ISO 8601 UTC.
    public var createdAt: String
    public var codeVersion: String
    /// `trading` or `cartpole`.
    public var environment: String
    public var architecture: Architecture
    public var featureSpecHash: String
    public var featureNames: [String]
    /// Entries appended to the features in each observation (the position state).
    public var positionFeatures: [String]
    public var normalization: ObservationNormalizer
    public var actionMeanings: [String]
    public var hyperparameters: [String: Double]
    public var seed: UInt64
    public var trainingRange: RowRange?
    /// Never trained on: what evaluation backtests.
    public var heldOutRange: RowRange?
    public var datasetFile: String?
    public var datasetSha256: String?
    public var metrics: TrainingMetrics

    public init(symbol: String, version: String, createdAt: String, codeVersion: String, environment: String,
                architecture: Architecture, featureSpecHash: String, featureNames: [String], positionFeatures: [String],
                normalization: ObservationNormalizer, actionMeanings: [String], hyperparameters: [String: Double], seed: UInt64,
                trainingRange: RowRange?, heldOutRange: RowRange?, datasetFile: String?, datasetSha256: String?,
                metrics: TrainingMetrics) {
        self.symbol = symbol
        self.version = version
        self.createdAt = createdAt
        self.codeVersion = codeVersion
        self.environment = environment
        self.architecture = architecture
        self.featureSpecHash = featureSpecHash
        self.featureNames = featureNames
        self.positionFeatures = positionFeatures
        self.normalization = normalization
        self.actionMeanings = actionMeanings
        self.hyperparameters = hyperparameters
        self.seed = seed
        self.trainingRange = trainingRange
        self.heldOutRange = heldOutRange
        self.datasetFile = datasetFile
        self.datasetSha256 = datasetSha256
        self.metrics = metrics
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }()

    public func encoded() throws -> Data { try Self.encoder.encode(self) }
    public static func decode(_ data: Data) throws -> AgentManifest { try decoder.decode(AgentManifest.self, from: data) }
}
