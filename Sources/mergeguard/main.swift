// The mergeguard command-line tool: dispatches to its subcommands and reports errors without a stack trace.
import Foundation
import Inference

let usage = """
mergeguard \(InferenceVersion.string) — serve untrusted fine-tunes merged with trusted donors

usage: mergeguard <command> [options]
  serve    the OpenAI-compatible server for models.json (see `mergeguard serve --help`)
  chat     chat with a model in the terminal (see `mergeguard chat --help`)
  merge    write the merged model a models.json entry is served as (see `mergeguard merge --help`)
  eval     score a served model on JSONL evaluation sets (see `mergeguard eval --help`)
  bench    load, prefill and decode speed of a model (see `mergeguard bench --help`)
"""

let arguments = CommandLine.arguments.dropFirst()
do {
    switch arguments.first {
    case "serve": try ServeCommand(arguments: arguments.dropFirst()).run()
    case "chat": try ChatCommand(arguments: arguments.dropFirst()).run()
    case "merge": try MergeCommand(arguments: arguments.dropFirst()).run()
    case "eval": try EvalCommand(arguments: arguments.dropFirst()).run()
    case "bench": try BenchCommand(arguments: arguments.dropFirst()).run()
    case "--version": print("mergeguard \(InferenceVersion.string)")
    case nil, "--help", "-h", "help": print(usage)
    case let other?: throw CommandLineError.unknownCommand(other)
    }
} catch {
    FileHandle.standardError.write(Data("mergeguard: \(error)\n".utf8))
    exit(1)
}
