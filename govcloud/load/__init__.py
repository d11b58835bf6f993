"""Layer 1: YAML with source locations, and project discovery."""
from govcloud.load.discover import blueprint_files, find_root
from govcloud.load.located import MAX_FILE_BYTES, LoadedFile, load_file, parse
from govcloud.load.project import LoadResult, load

__all__ = ["MAX_FILE_BYTES", "LoadResult", "LoadedFile", "blueprint_files", "find_root", "load", "load_file", "parse"]
