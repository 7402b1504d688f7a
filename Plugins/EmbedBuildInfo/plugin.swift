import Foundation
import PackagePlugin

/// Embeds into the `BuildInfo` target what a deployed binary must carry: the code version
/// (`git describe` of the package at build time) and the SQL migrations of `db/migrations/`. It runs
/// `scripts/embed-build-info` before every build; the script rewrites the generated file only when its
/// content changes, so an unchanged tree recompiles nothing.
@main
struct EmbedBuildInfo: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let package = context.package.directoryURL
        return [.prebuildCommand(
            displayName: "Embedding the code version and the migrations",
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: [package.appending(path: "scripts/embed-build-info").path, package.path, output.path],
            outputFilesDirectory: output)]
    }
}
