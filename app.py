"""The chat UI's entry point: `python app.py [--host 127.0.0.1] [--port 7860] [--index DIR] [--admin-password PW]`.

The app itself lives in qa/ui/app.py (`python app.py --help` lists every option).
"""

import sys

from qa.ui.app import main

if __name__ == "__main__":
    sys.exit(main())
