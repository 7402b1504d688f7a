import Foundation
import PackagePlugin

/// Embeds into the `BuildInfo` target what a deployed binary must carry: the code version
/// (`git describe` of the package at build time) and the SQL migrations of `db/migrations/`. A build
/// command whose inputs are the migration files, the script and git's HEAD, index and ref log: the build
/// reruns it whenever a migration changes or a commit, checkout or `git add` happens (a prebuild
/// command was not rerun by SwiftPM when only a migration changed, so binaries carried stale migrations).
@main
struct EmbedBuildInfo: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let package = context.package.directoryURL
        let script = package.appending(path: "scripts/embed-build-info")
        var inputs = [script]
        let migrations = package.appending(path: "db/migrations")
        for backend in (try? FileManager.default.contentsOfDirectory(atPath: migrations.path))?.sorted() ?? [] {
            let directory = migrations.appending(path: backend)
            inputs.append(directory)  // a migration added later changes the directory (and git's index once added)
            for file in (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.sorted() ?? [] where file.hasSuffix(".sql") {
                inputs.append(directory.appending(path: file))
            }
        }
        for file in [".git/HEAD", ".git/index", ".git/logs/HEAD"] where FileManager.default.fileExists(atPath: package.appending(path: file).path) {
            inputs.append(package.appending(path: file))
        }
        return [.buildCommand(
            displayName: "Embedding the code version and the migrations",
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: [script.path, package.path, output.path],
            inputFiles: inputs,
            outputFiles: [output.appending(path: "BuildInfoGenerated.swift")])]
    }
}
