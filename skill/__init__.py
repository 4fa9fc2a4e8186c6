"""async-dapr-coder's engine: validated specs in, checked Python (and resources) out.

Front doors (the MCP server, the CLI) use only what this module exports.
"""

from skill import reserved  # noqa: F401 - on import, it installs the client spec's reader of the names it binds
from skill.browse import SnippetCatalog, SnippetDetail, SnippetInfo, list_snippets, show_snippet
from skill.errors import FieldProblem, InvalidOutputError, SkillError, SnippetError, SpecError, ToolchainError
from skill.generator import Generator
from skill.generators import schema_models  # noqa: F401 - on import, it installs the specs' reader of JSON Schemas
from skill.generators.endpoint import CLIENT_CLASS, CLIENT_MODULE
from skill.generators.project import PRESETS as PROJECT_PRESETS
from skill.manifest import (
    BASE_PATH,
    MANIFEST_DIR,
    MANIFEST_PATH,
    FileRecord,
    Manifest,
    ManifestError,
    base_text,
    content_sha256,
    manifest_text,
    parse_base,
    parse_manifest,
    record,
    skill_version,
)
from skill.merge3 import Merge, merge3, unresolved_conflicts
from skill.outline import FileOutline, Symbol, outline
from skill.parsing import parse_python, top_level_names
from skill.pipeline import generate, parse_spec
from skill.registry import REGISTRY, get_generator, registry_of
from skill.result import GeneratedFile, LintStatus, Result
from skill.specs.common import SpecModel
from skill.specs.outline import render_outline
from skill.style import DEFAULT_STYLE, Style, find_style

__all__ = [
    "BASE_PATH",
    "CLIENT_CLASS",
    "CLIENT_MODULE",
    "DEFAULT_STYLE",
    "MANIFEST_DIR",
    "MANIFEST_PATH",
    "PROJECT_PRESETS",
    "REGISTRY",
    "FieldProblem",
    "FileOutline",
    "FileRecord",
    "GeneratedFile",
    "Generator",
    "InvalidOutputError",
    "LintStatus",
    "Manifest",
    "ManifestError",
    "Merge",
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
    "base_text",
    "content_sha256",
    "find_style",
    "generate",
    "get_generator",
    "list_snippets",
    "manifest_text",
    "merge3",
    "outline",
    "parse_base",
    "parse_manifest",
    "parse_python",
    "parse_spec",
    "record",
    "registry_of",
    "render_outline",
    "show_snippet",
    "skill_version",
    "top_level_names",
    "unresolved_conflicts",
]
