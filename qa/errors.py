"""The one exception family of the package; messages say what was wrong and what to do."""


class QAError(Exception):
    """Base class for errors a user can act on."""


class CorpusError(QAError):
    """The corpus directory or one of its files cannot be used."""


class IndexStateError(QAError):
    """The index is missing, corrupted or was built with other settings."""


class ModelError(QAError):
    """The embedding model cannot be loaded or created."""


class IndexBusyError(QAError):
    """Another writer holds the index's writer lock."""


class LibraryError(QAError):
    """A library change (upload, delete, restore) was refused; the message is for the person who asked."""
