"""async-dapr-coder's engine: validated specs in, checked Python (and resources) out.

Front doors (the MCP server, the CLI) use only what this module exports.
"""

from skill.browse import SnippetCatalog, SnippetDetail, SnippetInfo, list_snippets, show_snippet
from skill.errors import FieldProblem, InvalidOutputError, SkillError, SnippetError, SpecError, ToolchainError
from skill.generator import Generator
from skill.outline import FileOutline, Symbol, outline
from skill.parsing import parse_python
from skill.pipeline import generate, parse_spec
from skill.registry import REGISTRY, get_generator, registry_of
from skill.result import GeneratedFile, LintStatus, Result
from skill.specs.common import SpecModel
from skill.style import DEFAULT_STYLE, Style, find_style

__all__ = [
    "DEFAULT_STYLE",
    "REGISTRY",
    "FieldProblem",
    "FileOutline",
    "GeneratedFile",
    "Generator",
    "InvalidOutputError",
    "LintStatus",
    "Result",
    "SkillError",
    "SnippetCatalog",
    "SnippetDetail",
    "SnippetError",
    "SnippetInfo",
    "SpecError",
    "SpecModel",
    "Style",
    "Symbol",
    "ToolchainError",
    "find_style",
    "generate",
    "get_generator",
    "list_snippets",
    "outline",
    "parse_python",
    "parse_spec",
    "registry_of",
    "show_snippet",
]
