"""scripts/setup.sh's package list cannot drift from what the build, scripts/ and the interop tests need.

No server, no subprocess, well under a second. scripts/setup.sh keeps the one list of what LogPilot needs from
Debian 12: APT_PACKAGES (installed), COMMAND_PACKAGES (command:package for the commands those packages bring) and
CHECKED_COMMANDS (used but not installed: each user checks for it with a clear message). These tests read the real
files, not a copy of them, and fail when

  (a) a `.apt([...])` provider of a system-library target in Package.swift is not in APT_PACKAGES;
  (b) a package that the Dockerfile's build stage installs (the -dev headers, pkg-config) is not in APT_PACKAGES;
  (c) a command that scripts/*.sh or scripts/*.py or Tests/interop/*.py run is none of: a shell builtin or keyword,
      a function of its script, a path inside the repository, a command of Debian's Essential packages (read from
      this machine's dpkg database: coreutils, grep, sed, util-linux, dpkg, libc-bin, ...), a command of
      COMMAND_PACKAGES whose package setup installs (APT_PACKAGES) or the fresh root already has (apt, the Essential
      packages, or BASE_PACKAGES of scripts/check-fresh-install.sh: the Swift toolchain's own dependencies), or one of
      CHECKED_COMMANDS.

Commands are found statically: in shell, the words in command position (after `;`, `|`, `&&`, newlines, `$(`,
`then`, `do`, `sudo`, `exec`, `env`, `xargs`, inside `bash -c '...'` and `trap '...'`, ...); in Python,
`shutil.which("x")` and `subprocess.*(["x", ...])` / `subprocess.*("x ...", shell=True)`. A command whose name is
computed (`$tool`, `[binary, ...]`) is not seen; the usual way to name one is `command -v x` / `shutil.which("x")`.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import shlex
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / "scripts" / "setup.sh"
FRESH_INSTALL = REPO / "scripts" / "check-fresh-install.sh"
PACKAGE_SWIFT = REPO / "Package.swift"
DOCKERFILE = REPO / "Dockerfile"
DPKG = Path(os.environ.get("LOGPILOT_DPKG_ADMINDIR", "/var/lib/dpkg"))

HOW_TO_FIX = ("add it to APT_PACKAGES in scripts/setup.sh (a Debian 12 package), or, for a command, map it in "
              "COMMAND_PACKAGES or list it in CHECKED_COMMANDS with the place that checks for it")


# -- the one list: scripts/setup.sh ---------------------------------------------------------------------------------


def bash_array(text: str, name: str) -> list[str]:
    """The words of a top-level `NAME=( ... )` array (comments and line breaks allowed inside)."""
    m = re.search(rf"^{re.escape(name)}=\((.*?)^\)", text, re.M | re.S)
    if not m:
        raise AssertionError(f"no `{name}=( ... )` array")
    body = "\n".join(strip_comment(line) for line in m.group(1).splitlines())
    return shlex.split(body)


def strip_comment(line: str) -> str:
    return re.sub(r"(^|\s)#.*$", "", line)


def bash_scalar(text: str, name: str) -> str:
    m = re.search(rf"^{re.escape(name)}=(\S+)", text, re.M)
    if not m:
        raise AssertionError(f"no `{name}=...` assignment")
    return m.group(1).strip("'\"")


class SetupList:
    def __init__(self, text: str):
        self.apt = bash_array(text, "APT_PACKAGES")
        pairs = bash_array(text, "COMMAND_PACKAGES")
        bad = [p for p in pairs if p.count(":") != 1]
        assert not bad, f"COMMAND_PACKAGES entries must be command:package: {bad}"
        self.command_packages = dict(p.split(":") for p in pairs)
        self.checked = set(bash_array(text, "CHECKED_COMMANDS"))


def base_packages() -> set[str]:
    """What the fresh root has besides the Essential packages: apt and the Swift toolchain's own dependencies."""
    return {"apt", *bash_scalar(FRESH_INSTALL.read_text(), "BASE_PACKAGES").split(",")}


# -- what Package.swift and the Dockerfile need ---------------------------------------------------------------------


def apt_providers(package_swift: str) -> list[str]:
    found = []
    for group in re.findall(r"\.apt\(\s*\[(.*?)\]\s*\)", package_swift, re.S):
        found += re.findall(r'"([^"]+)"', group)
    return found


def dockerfile_stage(dockerfile: str, stage: str) -> str:
    """The instructions of `FROM ... AS <stage>` up to the next FROM, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    lines = [line for line in joined.splitlines() if not line.lstrip().startswith("#")]
    out, inside = [], False
    for line in lines:
        m = re.match(r"\s*FROM\s+\S+(?:\s+AS\s+(\S+))?", line, re.I)
        if m:
            inside = (m.group(1) or "").lower() == stage
            continue
        if inside:
            out.append(line)
    assert out, f"the Dockerfile has no stage `AS {stage}`"
    return "\n".join(out)


def apt_installed_packages(script: str) -> list[str]:
    """The package arguments of every `apt-get install` / `apt install` in a shell fragment."""
    found = []
    for m in re.finditer(r"\bapt(?:-get)?\s+install\b([^;&|\n]*)", script):
        found += [w for w in m.group(1).split() if not w.startswith(("-", "$")) and "=" not in w]
    return found


# -- commands in shell scripts ---------------------------------------------------------------------------------------

BASH_BUILTINS = set("""
    . : [ alias bg bind break builtin caller cd command compgen complete compopt continue declare dirs disown echo enable
    eval exec exit export false fc fg getopts hash help history jobs kill let local logout mapfile popd printf pushd pwd
    read readarray readonly return set shift shopt source suspend test times trap true type typeset ulimit umask unalias
    unset wait
""".split())
KEYWORDS = set("if then else elif fi do done while until for in case esac function select time ! { } [[ ]] coproc".split())
# Words after which the next word is again in command position.
LEADS = {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"}
# Commands that run the command named by their first non-option argument.
WRAPPERS = {"exec", "command", "sudo", "env", "xargs", "nohup", "nice", "timeout", "builtin"}
# `$SUDO apt-get ...`: a variable holding "sudo" or nothing, followed by the command.
WRAPPER_VARIABLES = {"SUDO"}
SEPARATORS = {";", "&", "&&", "|", "||", "|&", "(", ";;", ";&", ";;&", "\n"}
REDIRECTION = re.compile(r"\d*(<<<|<<-?|&>>|&>|>>|>&|<&|<>|>\||>|<)")
PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*|[0-9#?@*!$-])?")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=")


class Word:
    def __init__(self, text: str, dynamic: bool, variable: str | None = None):
        self.text = text          # the word with its quotes removed
        self.dynamic = dynamic    # it contains an expansion ($x, $(..), `..`)
        self.variable = variable  # NAME when the word is exactly $NAME, ${NAME} or "$NAME"


class ShellScanner:
    """Finds the command names of a bash script. Not a full parser: enough for the project's own scripts."""

    def __init__(self, text: str):
        self.s = text
        self.commands: set[str] = set()
        self.functions: set[str] = set()

    # tokens: Word, an operator string, or None at the end
    def scan(self, i: int = 0, closer: str | None = None) -> int:
        """Reads commands from i until the end (or an unmatched `closer`), returns the index after it."""
        s = self.s
        tokens: list = []
        heredocs: list[str] = []
        while i < len(s):
            c = s[i]
            if s.startswith("\\\n", i):
                i += 2
            elif c in " \t\r":
                i += 1
            elif c == "\n":
                tokens.append("\n")
                i += 1
                for delimiter in heredocs:
                    i = self.skip_heredoc(i, delimiter)
                heredocs = []
            elif c == "#":
                while i < len(s) and s[i] != "\n":
                    i += 1
            elif closer and c == closer:
                self.commands_of(tokens)
                return i + 1
            elif s.startswith("((", i):
                i = self.skip_balanced(i + 2, "(", ")", depth=2)
                tokens.append(Word("((", True))
            elif s.startswith("[[", i) and (i + 2 >= len(s) or s[i + 2] in " \t"):
                end = s.find("]]", i)
                i = end + 2 if end >= 0 else len(s)
                tokens.append(Word("[[", True))
            elif s.startswith("<(", i) or s.startswith(">(", i):
                i = self.scan(i + 2, ")")
                tokens.append(Word("<(", True))
            elif (i == 0 or s[i - 1] in " \t\n;&|(<>") and REDIRECTION.match(s, i):
                m = REDIRECTION.match(s, i)
                i = m.end()
                while i < len(s) and s[i] in " \t":
                    i += 1
                i, target = self.word(i)
                if m.group(1).startswith("<<") and m.group(1) != "<<<":
                    heredocs.append(target.text)
                tokens.append("REDIRECT")
            elif s.startswith(("&&", "||", "|&", ";;&", ";;", ";&"), i):
                op = next(o for o in (";;&", "&&", "||", "|&", ";;", ";&") if s.startswith(o, i))
                tokens.append(op)
                i += len(op)
            elif c in ";&|()":
                tokens.append(c)
                i += 1
            else:
                i, w = self.word(i)
                tokens.append(w)
        self.commands_of(tokens)
        return i

    def skip_heredoc(self, i: int, delimiter: str) -> int:
        s = self.s
        while i < len(s):
            end = s.find("\n", i)
            line = s[i:] if end < 0 else s[i:end]
            i = len(s) if end < 0 else end + 1
            if line.strip() == delimiter:
                break
        return i

    def skip_balanced(self, i: int, opener: str, closer: str, depth: int = 1) -> int:
        s = self.s
        while i < len(s) and depth:
            if s[i] == opener:
                depth += 1
            elif s[i] == closer:
                depth -= 1
            i += 1
        return i

    def word(self, i: int) -> tuple[int, Word]:
        """Reads one word from i; commands inside its $(..) and `..` are scanned. Returns (end, Word)."""
        s = self.s
        out, dynamic, start = [], False, i
        while i < len(s) and s[i] not in " \t\r\n;&|()<>":
            c = s[i]
            if c == "\\":
                out.append(s[i + 1:i + 2])
                i += 2
            elif c == "'":
                end = s.find("'", i + 1)
                end = len(s) if end < 0 else end
                out.append(s[i + 1:end])
                i = end + 1
            elif c == '"':
                i += 1
                while i < len(s) and s[i] != '"':
                    if s[i] == "\\":
                        out.append(s[i + 1:i + 2])
                        i += 2
                    elif s[i] == "$" or s[i] == "`":
                        i = self.expansion(i)
                        dynamic = True
                    else:
                        out.append(s[i])
                        i += 1
                i += 1
            elif c == "$" and s.startswith("$'", i):
                j = i + 2
                while j < len(s) and s[j] != "'":
                    j += 2 if s[j] == "\\" else 1
                out.append(s[i + 2:j])
                i = j + 1
            elif c in "$`":
                i = self.expansion(i)
                dynamic = True
            elif c == "=" and s.startswith("=(", i) and ASSIGNMENT.match("".join(out) + "="):
                # an array assignment NAME=( ... ): its words are data, not commands
                inner = ShellScanner(s)
                i = inner.scan(i + 2, ")")
                out.append("=(...)")
            else:
                out.append(c)
                i += 1
        raw = s[start:i]
        m = re.fullmatch(r'"?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?"?', raw)
        return i, Word("".join(out), dynamic, m.group(1) if m else None)

    def expansion(self, i: int) -> int:
        """Skips the expansion at i ($x, ${..}, $((..)), $(..), `..`), scanning the commands of $(..) and `..`."""
        s = self.s
        if s.startswith("$((", i):
            return self.skip_balanced(i + 3, "(", ")", depth=2)
        if s.startswith("$(", i):
            return self.scan(i + 2, ")")
        if s.startswith("${", i):
            return self.skip_balanced(i + 2, "{", "}")
        if s[i] == "`":
            end = s.find("`", i + 1)
            end = len(s) if end < 0 else end
            self.add_script(s[i + 1:end])
            return end + 1
        m = PARAMETER.match(s, i)
        return max(m.end(), i + 1)

    def add_script(self, text: str) -> None:
        inner = ShellScanner(text)
        inner.scan()
        self.commands |= inner.commands
        self.functions |= inner.functions

    def commands_of(self, tokens: list) -> None:
        # state: "cmd" (a command may start), "args" (inside one), "for" (the words of for/select), "subject" and
        # "in" (after `case`), "pattern" (case patterns up to their `)`)
        state = "cmd"
        k = 0
        while k < len(tokens):
            t = tokens[k]
            k += 1
            if isinstance(t, str):
                if t == "REDIRECT":
                    continue
                if state == "pattern":
                    state = "cmd" if t == ")" else state
                elif t in (";;", ";&", ";;&"):
                    state = "pattern"
                elif t in SEPARATORS and state not in ("subject", "in"):
                    state = "cmd"
                elif t == ")":
                    state = "args"
                continue
            word = t.text
            if state == "pattern":
                state = "args" if word == "esac" else state
                continue
            if state == "subject":
                state = "in"
                continue
            if state == "in":
                state = "pattern" if word == "in" else state
                continue
            if state in ("for", "args"):
                continue
            if t.variable in WRAPPER_VARIABLES:  # $SUDO apt-get ...: the next word is the command
                continue
            if t.dynamic or not word:
                state = "args"
                continue
            if word == "case":
                state = "subject"
            elif word in ("for", "select"):
                state = "for"
            elif word in LEADS:
                pass
            elif word in KEYWORDS:
                state = "args"
                if word == "function" and k < len(tokens) and isinstance(tokens[k], Word):
                    self.functions.add(tokens[k].text)
                    k += 1
            elif ASSIGNMENT.match(word):
                pass
            elif k + 1 < len(tokens) and tokens[k] == "(" and tokens[k + 1] == ")":  # name() { ...; }
                self.functions.add(word)
                k += 2
            else:
                args = [a for a in tokens[k:self.end_of_command(tokens, k)] if isinstance(a, Word)]
                self.use(word, args)
                state = "args"

    @staticmethod
    def end_of_command(tokens: list, k: int) -> int:
        while k < len(tokens) and not (isinstance(tokens[k], str) and tokens[k] in SEPARATORS | {")"}):
            k += 1
        return k

    def use(self, word: str, args: list[Word]) -> None:
        if "/" in word:
            if not word.startswith("/"):
                return  # a path inside the repository (scripts/setup.sh, .build/release/..., .venv/bin/pip)
            word = word.rsplit("/", 1)[1]
        self.commands.add(word)
        if word in WRAPPERS:
            rest = [a for a in args if not a.text.startswith("-") and not ASSIGNMENT.match(a.text)]
            if word == "timeout" and rest:
                rest = rest[1:]
            if rest and not rest[0].dynamic:
                self.use(rest[0].text, rest[1:])
        elif word in ("bash", "sh") and any(a.text == "-c" for a in args):
            script = args[[a.text for a in args].index("-c") + 1:]
            if script:
                self.add_script(script[0].text)
        elif word == "trap" and args:
            self.add_script(args[0].text)


def shell_commands(text: str) -> set[str]:
    scanner = ShellScanner(text)
    scanner.scan()
    return scanner.commands - scanner.functions - BASH_BUILTINS - KEYWORDS


# -- commands in Python files ------------------------------------------------------------------------------------------

SUBPROCESS_CALLS = {"run", "Popen", "call", "check_call", "check_output", "getoutput", "getstatusoutput"}
SHELL_CALLS = {"system", "popen", "getoutput", "getstatusoutput"}


def call_name(func: ast.expr) -> str:
    """"which", "subprocess.run", ... for shutil.which(..), subprocess.run(..), Popen(..) (from-imports), else ""."""
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        module, name = func.value.id, func.attr
        if (module, name) == ("shutil", "which"):
            return "which"
        if module == "subprocess" and name in SUBPROCESS_CALLS or module == "os" and name in ("system", "popen"):
            return name
    if isinstance(func, ast.Name) and func.id in ("which", "Popen", "check_output", "check_call"):
        return func.id
    return ""


CALL_SITE = re.compile(r"\b(?:shutil\.which|which|subprocess\.\w+|os\.system|os\.popen|Popen|check_output|check_call)\(")


def call_sites(text: str):
    """The ast.Call of every `shutil.which(..)`, `subprocess.*(..)`, ... in a Python file. Only the calls are parsed
    (ast over whole files is ten times slower); a call that does not parse alone falls back to the whole file."""
    for m in CALL_SITE.finditer(text):
        if text[m.start() - 1:m.start()] in ("`", "."):  # quoted in a docstring, or a method such as x.which(
            continue
        end = closing_paren(text, m.end())
        try:
            node = ast.parse(text[m.start():end], mode="eval").body
        except SyntaxError:
            yield from (n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Call))
            return
        if isinstance(node, ast.Call):
            yield node


def closing_paren(text: str, i: int) -> int:
    """The index after the `)` closing the call whose arguments start at i (strings and comments skipped)."""
    depth = 1
    while i < len(text) and depth:
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "#":
            i = text.find("\n", i)
            i = len(text) if i < 0 else i
            continue
        elif c in "'\"":
            quote = text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else c
            i += len(quote)
            while i < len(text) and not text.startswith(quote, i):
                i += 2 if text[i] == "\\" else 1
        i += 1
    return i


def python_commands(text: str) -> set[str]:
    found: set[str] = set()
    for node in call_sites(text):
        if not node.args:
            continue
        name, first = call_name(node.func), node.args[0]
        if not name:
            continue
        if name == "which":
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
            continue
        shell = name in SHELL_CALLS or any(
            k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value for k in node.keywords)
        if isinstance(first, (ast.List, ast.Tuple)) and first.elts:
            head = first.elts[0]
            if isinstance(head, ast.Constant) and isinstance(head.value, str):
                found.add(head.value.rsplit("/", 1)[-1] if head.value.startswith("/") else head.value)
        elif shell and isinstance(first, ast.Constant) and isinstance(first.value, str):
            found |= shell_commands(first.value)
    return {c for c in found if "/" not in c}


def sources() -> list[Path]:
    files = sorted((REPO / "scripts").glob("*.sh")) + sorted((REPO / "scripts").glob("*.py"))
    files += sorted((REPO / "Tests" / "interop").glob("*.py"))
    return [f for f in files if f.resolve() != Path(__file__).resolve()]  # this file's calls are examples


@functools.lru_cache(maxsize=1)
def commands_used() -> dict[str, list[str]]:
    """{command: [files using it]} over scripts/*.sh, scripts/*.py and Tests/interop/*.py."""
    used: dict[str, list[str]] = {}
    for path in sources():
        text = path.read_text()
        names = shell_commands(text) if path.suffix == ".sh" else python_commands(text)
        for name in names:
            used.setdefault(name, []).append(str(path.relative_to(REPO)))
    return used


# -- Debian's Essential packages, from this machine's dpkg database -------------------------------------------------


@functools.lru_cache(maxsize=1)
def essential() -> tuple[frozenset[str], frozenset[str]]:
    """(Essential package names, the commands they ship) as dpkg knows them here."""
    status = DPKG / "status"
    if not status.exists():
        pytest.skip(f"no dpkg database at {DPKG}: which commands Debian's Essential packages provide needs Debian 12")
    packages = set()
    for stanza in status.read_text(errors="replace").split("\n\n"):
        if "\nEssential: yes" in stanza and re.search(r"^Status: .* installed$", stanza, re.M):
            packages.add(re.search(r"^Package: (\S+)", stanza, re.M).group(1))
    commands = set()
    for package in packages:
        commands |= package_commands(package)
    return frozenset(packages), frozenset(commands)


@functools.lru_cache(maxsize=1)
def dpkg_depends() -> dict[str, set[str]]:
    """{installed package: the packages its Depends and Pre-Depends name}."""
    depends: dict[str, set[str]] = {}
    for stanza in (DPKG / "status").read_text(errors="replace").split("\n\n"):
        m = re.search(r"^Package: (\S+)", stanza, re.M)
        if not m:
            continue
        names = set()
        for field in re.findall(r"^(?:Pre-)?Depends: (.*)$", stanza, re.M):
            names |= {re.split(r"[\s:(]", alt.strip(), maxsplit=1)[0] for alt in re.split(r"[,|]", field)}
        depends[m.group(1)] = names
    return depends


def package_commands(package: str) -> set[str]:
    """The executables in */bin and */sbin that an installed package ships (empty when it is not installed)."""
    names = set()
    for listing in (DPKG / "info").glob(f"{package}.list"), (DPKG / "info").glob(f"{package}:*.list"):
        for path in listing:
            for line in path.read_text(errors="replace").splitlines():
                if re.match(r"^(/usr)?(/local)?/s?bin/[^/]+$", line):
                    names.add(line.rsplit("/", 1)[1])
    return names


# -- the checks ------------------------------------------------------------------------------------------------------


def drift(setup_text: str, package_swift: str, dockerfile: str, used: dict[str, list[str]]) -> list[str]:
    """Every way the given files need something that setup's list (setup_text) does not cover."""
    setup = SetupList(setup_text)
    installed = set(setup.apt)
    problems = []
    for package in apt_providers(package_swift):
        if package not in installed:
            problems.append(f"Package.swift names the .apt provider {package}, which scripts/setup.sh does not install")
    for package in apt_installed_packages(dockerfile_stage(dockerfile, "build")):
        if package not in installed:
            problems.append(f"the Dockerfile's build stage installs {package}, which scripts/setup.sh does not")
    essential_packages, essential_commands = essential()
    present = installed | base_packages() | essential_packages
    for command, package in sorted(setup.command_packages.items()):
        if package not in present:
            problems.append(f"COMMAND_PACKAGES maps {command} to {package}, which scripts/setup.sh does not install "
                            f"(not in APT_PACKAGES, nor the fresh root's base packages)")
    for command, files in sorted(used.items()):
        if command in setup.checked or command in essential_commands:
            continue
        if command in setup.command_packages:
            continue
        problems.append(f"{', '.join(files)} run(s) `{command}`, which scripts/setup.sh neither installs "
                        f"(COMMAND_PACKAGES) nor lists as checked (CHECKED_COMMANDS)")
    return problems


def real_drift(setup_text: str | None = None) -> list[str]:
    return drift(setup_text if setup_text is not None else SETUP.read_text(), PACKAGE_SWIFT.read_text(),
                 DOCKERFILE.read_text(), commands_used())


def test_setup_installs_every_apt_provider_of_package_swift():
    providers = apt_providers(PACKAGE_SWIFT.read_text())
    assert providers, "found no .apt([...]) provider in Package.swift: the parser no longer matches it"
    missing = [p for p in providers if p not in SetupList(SETUP.read_text()).apt]
    assert not missing, f"Package.swift's .apt providers missing from scripts/setup.sh: {missing}; {HOW_TO_FIX}"


def test_setup_installs_every_package_of_the_dockerfile_build_stage():
    packages = apt_installed_packages(dockerfile_stage(DOCKERFILE.read_text(), "build"))
    assert [p for p in packages if p.endswith("-dev")], \
        f"found no -dev package installed in the Dockerfile's build stage: the parser no longer matches it ({packages})"
    missing = [p for p in packages if p not in SetupList(SETUP.read_text()).apt]
    assert not missing, f"the Dockerfile's build stage installs {missing}, scripts/setup.sh does not; {HOW_TO_FIX}"


def test_every_command_of_scripts_and_interop_tests_is_installed_or_checked():
    used = commands_used()
    # the scanners still see the project's files (a parser that finds nothing would pass everything)
    assert {"apt-get", "dpkg-query", "swift"} <= used.keys(), sorted(used)
    problems = [p for p in real_drift() if "run(s)" in p or "COMMAND_PACKAGES" in p]
    assert not problems, "\n".join(problems) + f"\n({HOW_TO_FIX})"


def test_every_mapped_command_comes_from_its_package():
    """COMMAND_PACKAGES tells the truth where the package is installed here: dpkg's file list of the package or of
    a package it depends on (python3 -> python3-minimal ships /usr/bin/python3) has the command."""
    essential()  # skips off Debian
    wrong = []
    for command, package in SetupList(SETUP.read_text()).command_packages.items():
        shipped = package_commands(package)  # empty when the package is not installed here: nothing to check
        with_depends = shipped.union(*(package_commands(d) for d in dpkg_depends().get(package, ())))
        if shipped and command not in with_depends:
            wrong.append(f"{command}:{package} ({package} ships {sorted(shipped)[:12]})")
    assert not wrong, f"COMMAND_PACKAGES entries whose package does not ship the command: {wrong}"


# -- the check can fail ------------------------------------------------------------------------------------------------


def without(setup_text: str, package: str) -> str:
    """setup.sh's text with one package removed from APT_PACKAGES (and only there)."""
    m = re.search(r"^APT_PACKAGES=\(.*?^\)", setup_text, re.M | re.S)
    body = m.group(0)
    assert re.search(rf"(?<=\s){re.escape(package)}(?=\s)", body), f"{package} is not in APT_PACKAGES"
    trimmed = re.sub(rf"(?<=\s){re.escape(package)}(?=\s)", "", body, count=1)
    return setup_text[:m.start()] + trimmed + setup_text[m.end():]


@pytest.mark.parametrize("package, expected", [
    ("libnghttp2-dev", "Package.swift names the .apt provider libnghttp2-dev"),
    ("zlib1g-dev", "the Dockerfile's build stage installs zlib1g-dev"),
    ("pkg-config", "the Dockerfile's build stage installs pkg-config"),
    ("prometheus", "COMMAND_PACKAGES maps prometheus to prometheus"),
    ("protobuf-c-compiler", "COMMAND_PACKAGES maps protoc-c to protobuf-c-compiler"),
])
def test_dropping_a_package_from_setup_is_caught(package, expected):
    problems = real_drift(without(SETUP.read_text(), package))
    assert any(p.startswith(expected) for p in problems), problems


def test_a_new_unlisted_command_is_caught():
    used = {**commands_used(), "h2load": ["scripts/example.sh"]}
    problems = drift(SETUP.read_text(), PACKAGE_SWIFT.read_text(), DOCKERFILE.read_text(), used)
    assert any("`h2load`" in p for p in problems), problems


# -- the scanners on small examples ------------------------------------------------------------------------------------


SCRIPT = r"""#!/usr/bin/env bash
# jq in a comment is not a command
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=(pkg-config  # a comment inside
  libfoo-dev)
for p in "${PACKAGES[@]}"; do dpkg-query -W "$p" | grep -q ok || missing+=("$p"); done
if ! command -v swift >/dev/null 2>&1; then echo "no swift" >&2; exit 1; fi
[ ${#missing[@]} -gt 0 ] && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${missing[@]}"
sudo -n ldconfig
case "$1" in
  --fast|-f) mode=fast ;;
  gzip) xz -d file ;;
esac
helper() { sha256sum "$1"; }
helper x
for ((i = 0; i < 3; i++)); do :; done
n=$(( 1 + 2 ))
count=$(wc -l < <(find . -name '*.swift' | sort))
trap 'rm -rf "$work"' EXIT
cat <<EOF
curl is not run here
EOF
bash -c 'cd /src && zstd -q x' arg
env -i PATH=/bin unshare --pid true
/usr/bin/env python3 -c 'print(1)' \
  | tee out.txt > /dev/null
scripts/setup.sh --python && .build/release/logpilot-all --help
echo "$(date +%s) `hostname`"
x="$(printf '%s' "$(uname -r)")"
ls -1 | xargs -r rm -f
"""


def test_shell_scanner_finds_commands_in_command_position_only():
    found = shell_commands(SCRIPT)
    expected = {"dirname", "dpkg-query", "grep", "swift", "apt-get", "sudo", "ldconfig", "xz", "sha256sum", "wc",
                "find", "sort", "rm", "cat", "bash", "zstd", "env", "unshare", "python3", "tee", "date", "hostname",
                "uname", "ls", "xargs"}
    assert expected <= found, sorted(expected - found)
    for not_a_command in ("jq", "pkg-config", "libfoo-dev", "curl", "helper", "gzip", "mode=fast", "--fast", "p",
                          "setup.sh", "logpilot-all", "i", "1"):
        assert not_a_command not in found, (not_a_command, sorted(found))


def test_python_scanner_finds_which_and_subprocess_argv():
    found = python_commands("""
import shutil, subprocess
shutil.which("promtool")
subprocess.run(["ldd", path], capture_output=True)
subprocess.Popen([binary, "--help"])
subprocess.run("sqlite3 x.db .tables | head -1", shell=True)
subprocess.check_output(["/usr/sbin/iptables", "-L"])
subprocess.run([str(BIN), "backup"])
""")
    assert found == {"promtool", "ldd", "sqlite3", "head", "iptables"}, found


def test_setup_list_parses():
    setup = SetupList(SETUP.read_text())
    assert "libnghttp2-dev" in setup.apt and "protoc" in setup.command_packages and "swift" in setup.checked
    assert "git" in base_packages() and "python3" in base_packages()
