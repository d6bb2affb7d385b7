// Chat templates rendered byte-for-byte like transformers (goldens in Tests/Fixtures/chat-templates),
// plus the Jinja details those goldens depend on. Expected strings in the unit tests were printed by
// jinja2 3.1 configured as transformers configures it (trim_blocks, lstrip_blocks, loopcontrols).
import Foundation
import Testing
@testable import Inference

@Suite struct ChatTemplateTests {
    // MARK: goldens

    struct GoldenRecord {
        let template: String
        let caseName: String
        let addGenerationPrompt: Bool
        /// Set when every message is just role + content; otherwise render `messageValues` (tool calls etc.).
        let messages: [ChatMessage]?
        let messageValues: JinjaValue
        let extraContext: [String: JinjaValue]
        let expected: String?
        let error: String?
        let errorType: String?
    }

    static let templateNames = ["smollm2-135m-instruct", "llama-3.1-instruct", "mistral-7b-instruct-v0.2",
                                "mistral-nemo-instruct-2407", "qwen2.5-instruct", "gemma-2-it", "features"]

    static func goldens() throws -> (tokens: [String: (bos: String, eos: String)], records: [GoldenRecord]) {
        let document = try #require(try JSONSerialization.jsonObject(with: Fixtures.data("chat-templates/expected.json")) as? [String: Any])
        let templates = try #require(document["templates"] as? [String: [String: String]])
        var tokens: [String: (bos: String, eos: String)] = [:]
        for (name, t) in templates { tokens[name] = (t["bos_token"] ?? "", t["eos_token"] ?? "") }
        let rawRecords = try #require(document["records"] as? [[String: Any]])
        var records: [GoldenRecord] = []
        for r in rawRecords {
            let messageValues = try JinjaValue(json: try #require(r["messages_json"] as? String))
            let plain = (r["messages"] as? [[String: Any]])?.allSatisfy { Set($0.keys) == ["role", "content"] } ?? false
            let messages = plain ? try #require(r["messages"] as? [[String: String]]).map { ChatMessage(role: $0["role"]!, content: $0["content"]!) } : nil
            guard case .dictionary(let extra) = try JinjaValue(json: try #require(r["extra_context"] as? String)) else {
                Issue.record("extra_context is not a JSON object")
                continue
            }
            records.append(GoldenRecord(
                template: try #require(r["template"] as? String), caseName: try #require(r["case"] as? String),
                addGenerationPrompt: try #require(r["add_generation_prompt"] as? Bool), messages: messages, messageValues: messageValues,
                extraContext: Dictionary(uniqueKeysWithValues: extra.pairs.map { ($0.key, $0.value) }),
                expected: r["expected"] as? String, error: r["error"] as? String, errorType: r["error_type"] as? String))
        }
        return (tokens, records)
    }

    @Test("every golden conversation renders byte-identically, or raises the template's own message", arguments: templateNames)
    func rendersLikeTransformers(templateName: String) throws {
        let (tokens, records) = try Self.goldens()
        let source = String(decoding: try Fixtures.data("chat-templates/\(templateName).jinja"), as: UTF8.self)
        let template = try ChatTemplate(source: source)
        let token = try #require(tokens[templateName])
        let mine = records.filter { $0.template == templateName }
        #expect(mine.count >= 20)
        for record in mine {
            let label = "\(templateName) / \(record.caseName) / add_generation_prompt=\(record.addGenerationPrompt)"
            let outcome = Self.attempt {
                () throws(ChatTemplateError) in
                if let messages = record.messages {
                    return try template.render(messages: messages, addGenerationPrompt: record.addGenerationPrompt,
                                               bosToken: token.bos, eosToken: token.eos, extraContext: record.extraContext)
                }
                return try template.render(messages: record.messageValues, addGenerationPrompt: record.addGenerationPrompt,
                                           bosToken: token.bos, eosToken: token.eos, extraContext: record.extraContext)
            }
            switch outcome {
            case .success(let rendered):
                #expect(record.error == nil, "\(label): expected the error \(record.error ?? "") but rendered")
                #expect(rendered == record.expected, "\(label)")
            case .failure(let error):
                if record.errorType == "TemplateError" {
                    #expect(record.error.map { ChatTemplateError.raised(message: $0) } == error, "\(label): \(error)")
                } else if case .runtime(_, let message) = error {
                    // jinja2's UndefinedError (e.g. messages[0] of an empty conversation), with its wording.
                    #expect(record.errorType == "UndefinedError" && message == record.error, "\(label): \(error)")
                } else {
                    Issue.record("\(label): \(error), but transformers raised \(record.errorType ?? "nothing")")
                }
            }
        }
    }

    /// Runs a throwing step and keeps its typed error (a plain do/catch here trips a Swift 6.3 SILGen crash).
    static func attempt<T>(_ body: () throws(ChatTemplateError) -> T) -> Result<T, ChatTemplateError> {
        do { return .success(try body()) } catch { return .failure(error) }
    }

    @Test("the default model's GGUF template inserts SmolLM2's system prompt when there is none")
    func smolLM2FromGGUF() throws {
        #expect(FileManager.default.fileExists(atPath: Fixtures.smolLM2GGUF), "run scripts/setup.sh to fetch the default model")
        let template = try ChatTemplate(gguf: try GGUFFile(path: Fixtures.smolLM2GGUF))
        #expect(template.defaultBOSToken == "<|im_start|>")
        #expect(template.defaultEOSToken == "<|im_end|>")
        let fixture = String(decoding: try Fixtures.data("chat-templates/smollm2-135m-instruct.jinja"), as: UTF8.self)
        #expect(template.source == fixture)
        let rendered = try template.render(messages: [ChatMessage(role: "user", content: "What is the capital of France?")],
                                           addGenerationPrompt: true)
        #expect(rendered == """
            <|im_start|>system
            You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
            <|im_start|>user
            What is the capital of France?<|im_end|>
            <|im_start|>assistant

            """)
        let withSystem = try template.render(messages: [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hi")],
                                             addGenerationPrompt: false)
        #expect(withSystem == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
    }

    // MARK: errors

    @Test("raise_exception throws .raised carrying the template's message")
    func raiseException() throws {
        let template = try ChatTemplate(source: "ok{{ raise_exception('bad ' ~ 42) }}")
        #expect(throws: ChatTemplateError.raised(message: "bad 42")) {
            try template.render(messages: [], addGenerationPrompt: false)
        }
    }

    @Test("syntax errors name the line and column", arguments: [
        ("line one\n{% for x in y %}never closed", 2, 4),
        ("{{ 1 + }}", 1, 8),
        ("a\nb\n  {% endfor %}", 3, 6),
        ("{% if x %}\n{% frobnicate %}{% endif %}", 2, 4),
        ("x\n{{ 'unterminated }}", 2, 4),
        ("{{ a b }}", 1, 6),
        ("{{ x|nosuchfilter }}", 1, 6),
        ("{{ x is nosuchtest }}", 1, 9),
        ("{% for m in [] %}{{ m|nosuchfilter }}{% endfor %}", 1, 23),
    ])
    func syntaxErrorPosition(source: String, line: Int, column: Int) throws {
        switch Self.attempt({ () throws(ChatTemplateError) in try ChatTemplate(source: source) }) {
        case .success:
            Issue.record("\(source.debugDescription) parsed without error")
        case .failure(let error):
            guard case .syntax(let l, let c, _) = error else { Issue.record("not a syntax error: \(error)"); return }
            #expect(l == line && c == column, "\(error)")
            #expect(error.description.contains("line \(line), column \(column)"))
        }
    }

    @Test("using an undefined value where jinja2 raises names it", arguments: [
        ("{{ missing.attr }}", "'missing' is undefined"),
        ("{{ d.a.b }}", "'dict object' has no attribute 'a'"),
        ("{{ 'a' + 1 }}", "can only concatenate str (not \"int\") to str"),
    ])
    func runtimeErrors(source: String, message: String) throws {
        let template = try ChatTemplate(source: source)
        #expect(throws: ChatTemplateError.runtime(line: 1, message: message)) {
            try template.render(messages: [], addGenerationPrompt: false, extraContext: ["d": [:]])
        }
    }

    // MARK: Jinja details

    static let jinjaCases: [(source: String, expected: String)] = [
        // whitespace control, trim_blocks, lstrip_blocks, + overrides, comments
        ("a  {{- ' b ' -}}  c\n{%- if true %} d {% endif -%}\n e", "a b c d e"),
        ("<\n  {% if true %}\n    x\n  {% endif %}\n>", "<\n    x\n>"),
        ("  {%+ if true %}x{% endif +%}\ny", "  x\ny"),
        ("{# c #}\n  {# d #}\nz", "z"),
        ("one trailing newline is dropped\n", "one trailing newline is dropped"),
        // loop variables, loop filters, else, break/continue, scoping
        ("{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first|int }}{{ loop.last|int }}{{ loop.length }}{{ loop.previtem|default('-') }}{{ loop.nextitem|default('-') }};{% endfor %}",
         "1032103-b;2121003ac;3210013b-;"),
        ("{% for x in [1,2,3,4,5] if x is odd %}{{ x }}{{ ',' if not loop.last }}{% else %}none{% endfor %}|{% for x in [] %}a{% else %}empty{% endfor %}", "1,3,5|empty"),
        ("{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", "0134"),
        ("{% set x = 0 %}{% for i in range(3) %}{{ x }}{% set x = x + 1 %}{{ x }},{% endfor %}{{ x }}", "01,01,01,0"),
        ("{% set ns = namespace(n=0, seen=[]) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% set local = i %}{% endfor %}{{ ns.n }}|{{ local is defined }}", "3|False"),
        // slicing and indexing
        ("{{ 'hello'[1:3] }}|{{ 'hello'[::-1] }}|{{ [1,2,3,4][-2:] }}|{{ [1,2,3,4][::2] }}|{{ 'hello'[-1] }}|{{ [1,2,3][5] is undefined }}", "el|olleh|[3, 4]|[1, 3]|o|True"),
        // filters
        ("{{ ' x '|trim }}|{{ 'a b'|upper }}|{{ ['b','a']|sort|join(',') }}|{{ [1,2]|tojson }}|{{ {'k': 'é'}|tojson }}|{{ none|tojson }}|{{ 'x'|default('y') }}|{{ missing|d('y') }}|{{ [3,1]|first }}|{{ [3,1]|last }}|{{ 'ab'|length }}|{{ 1.5|int }}|{{ '3'|float }}",
         "x|A B|a,b|[1, 2]|{\"k\": \"é\"}|null|x|y|3|1|2|1|3.0"),
        ("{{ msgs|selectattr('role','equalto','user')|map(attribute='content')|join('+') }}|{{ msgs|rejectattr('role','eq','user')|list|length }}|{{ msgs|map(attribute='role')|unique|list }}",
         "a+c|1|['user', 'bot']"),
        ("{{ 'hello world-foo'|title }} {{ 'hello world-foo'.title() }} {{ 'mIxEd'|capitalize }} {{ \"a\\nb\"|indent(2, first=true) }} {{ 2.675|round(2) }} {{ 7|round }} {{ -2|abs }}",
         "Hello World-Foo Hello World-Foo Mixed   a\n  b 2.67 7 2"),
        ("{{ [{'a': 1, 'b': [1, 2]}, 'x']|tojson(indent=2) }}", "[\n  {\n    \"a\": 1,\n    \"b\": [\n      1,\n      2\n    ]\n  },\n  \"x\"\n]"),
        ("{{ x|tojson(separators=(',', ':')) }} {{ x|tojson(sort_keys=true) }}", "{\"b\":1,\"a\":[1,2]} {\"a\": [1, 2], \"b\": 1}"),
        // Undefined
        ("{{ missing }}|{{ missing is defined }}|{{ missing|length }}|{% if missing %}t{% else %}f{% endif %}|{{ d.nope }}|{{ d['nope'] is undefined }}", "|False|0|f||True"),
        // macros, call blocks, block set, inline if without else
        ("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', punct='?') }}", "Hi Ann! Hi Bob?"),
        ("{% macro box() %}[{{ caller() }}]{% endmacro %}{% call box() %}inside{% endcall %}", "[inside]"),
        ("{% set s %}  a{{ 1 }}  {% endset %}<{{ s }}>{% set t = 'x' if false %}{{ t is defined }}", "<  a1  >False"),
        // operators and Python printing
        ("{{ 10 // 3 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 3 ** 2 }} {{ 1 / 4 }} {{ 3 * 'ab' }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 'b' > 'a' }} {{ not 'x' in 'xyz' }} {{ 'q' not in ['a'] }}",
         "3 -4 2 64 0.25 ababab True True True False True"),
        ("{{ 1e3 }} {{ 1e16 }} {{ 1.5e-5 }} {{ 123456789.123 }} {{ 0.0001 }} {{ -0.0 }} {{ 100.0 }}", "1000.0 1e+16 1.5e-05 123456789.123 0.0001 -0.0 100.0"),
        ("{{ {'a': [1, 'x', none, true, 2.50]} }} {{ ('a',) }} {{ (1, 'b') }} {{ \"it's\" }} {{ [\"it's\", 'say \"hi\"'] }}",
         "{'a': [1, 'x', None, True, 2.5]} ('a',) (1, 'b') it's [\"it's\", 'say \"hi\"']"),
        // string and dict methods
        ("{{ 'a,b,,c'.split(',') }} {{ '  a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'Hello World'.startswith(('x','He')) }} {{ 'abc'.endswith('bc') }} {{ 'xaxb'.replace('x', '-', 1) }}",
         "['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c'] True True -axb"),
        ("{{ {'x': 1}.get('x') }} {{ {'x': 1}.get('y') }} {{ {'x': 1}.items()|list }} {% for k, v in {'p': 1, 'q': 2}|items %}{{ k }}{{ v }}{% endfor %}", "1 None [('x', 1)] p1q2"),
    ]

    @Test("Jinja features match jinja2", arguments: jinjaCases)
    func jinjaFeature(source: String, expected: String) throws {
        let template = try ChatTemplate(source: source)
        let messages: JinjaValue = [["role": "user", "content": "a"], ["role": "bot", "content": "b"], ["role": "user", "content": "c"]]
        let rendered = try template.render(messages: [], addGenerationPrompt: false,
                                           extraContext: ["msgs": messages, "d": [:], "x": try JinjaValue(json: #"{"b": 1, "a": [1, 2]}"#)])
        #expect(rendered == expected)
    }

    @Test("JSON extra context keeps key order and integer types")
    func jsonReader() throws {
        let value = try JinjaValue(json: #"{"z": 1, "a": [2.5, "é\n\u00e9\ud83d\ude42", true, null], "m": {}}"#)
        let template = try ChatTemplate(source: "{{ v|tojson }}|{{ v.z + 1 }}|{{ v.a[1] }}")
        #expect(try template.render(messages: [], addGenerationPrompt: false, extraContext: ["v": value])
                == "{\"z\": 1, \"a\": [2.5, \"é\\né🙂\", true, null], \"m\": {}}|2|é\né🙂")
        #expect(throws: JinjaJSONError.self) { try JinjaValue(json: "{\"a\": }") }
    }
}

extension ChatTemplateTests {
    @Test("the HF folder's tokenizer_config.json gives the same template and tokens as the GGUF")
    func huggingFaceFolder() throws {
        #expect(FileManager.default.fileExists(atPath: Fixtures.smolLM2HFFolder), "run scripts/setup.sh to make the HF folder")
        let fromFolder = try ChatTemplate(huggingFaceFolder: Fixtures.smolLM2HFFolder)
        let fromGGUF = try ChatTemplate(gguf: try GGUFFile(path: Fixtures.smolLM2GGUF))
        #expect(fromFolder.source == fromGGUF.source)
        #expect(fromFolder.defaultBOSToken == "<|im_start|>")
        #expect(fromFolder.defaultEOSToken == "<|im_end|>")
    }

    @Test("a runaway template stops at the loop budget instead of hanging")
    func loopBudget() throws {
        var template = try ChatTemplate(source: "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
        template.limits.maxLoopIterations = 5_000
        #expect(throws: ChatTemplateError.runtime(line: 1, message: "the template ran more than 5000 loop iterations")) {
            try template.render(messages: [], addGenerationPrompt: false)
        }
    }
}

extension ChatTemplateTests {
    @Test("single-feature snippets render like jinja2 in transformers' environment, or fail the same way")
    func snippets() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Fixtures.data("chat-templates/snippets.json")) as? [String: Any])
        guard case .dictionary(let context) = try JinjaValue(json: try #require(document["context_json"] as? String)) else {
            Issue.record("context_json is not an object")
            return
        }
        let extra = Dictionary(uniqueKeysWithValues: context.pairs.map { ($0.key, $0.value) })
        let snippets = try #require(document["snippets"] as? [[String: Any]])
        #expect(snippets.count >= 70)
        for snippet in snippets {
            let source = try #require(snippet["source"] as? String)
            let outcome = Self.attempt { () throws(ChatTemplateError) in
                try ChatTemplate(source: source).render(messages: [], addGenerationPrompt: false, extraContext: extra)
            }
            let label = source.debugDescription
            switch (outcome, snippet["expected"] as? String, snippet["error_type"] as? String) {
            case (.success(let rendered), let expected?, _):
                #expect(rendered == expected, "\(label)")
            case (.failure(let error), _, "TemplateError"?):
                #expect(error == .raised(message: snippet["error"] as? String ?? ""), "\(label)")
            case (.failure(let error), _, let kind?) where kind == "TemplateSyntaxError" || kind == "TemplateAssertionError":
                guard case .syntax(let line, _, _) = error else { Issue.record("\(label): expected a syntax error, got \(error)"); continue }
                #expect(line == snippet["error_line"] as? Int, "\(label): \(error)")
            case (.failure(let error), _, let kind?):
                guard case .runtime(_, let message) = error else { Issue.record("\(label): expected a runtime error, got \(error)"); continue }
                // Undefined errors carry jinja2's exact wording; other Python errors only need to be errors.
                if kind == "UndefinedError" { #expect(message == snippet["error"] as? String, "\(label)") }
            default:
                Issue.record("\(label): rendered \(outcome) but jinja2 gave \(snippet)")
            }
        }
    }
}
