import ArgumentParser
import PipelineCommands

/// Entry point of `pipeline`. Runs the async root command explicitly: from another module the compiler
/// otherwise picks ParsableCommand's synchronous `main`.
@main
enum PipelineMain {
    static func main() async {
        await PipelineCommand.main(nil)
    }
}
