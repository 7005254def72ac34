"""How the dashboard's Streamlit server is started: one command line for `procure dashboard` and the browser test.

Theme: white background, the Okabe-Ito blue as the primary colour (statuses never rely on colour alone, see
format.STATUS); the viewer toolbar (no "Deploy" button, no developer menu); no usage statistics.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"

FLAGS = {
    "server.headless": "true",
    "server.runOnSave": "false",
    "server.fileWatcherType": "none",
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "viewer",
    "theme.base": "light",
    "theme.primaryColor": "#0072B2",
    "theme.backgroundColor": "#FFFFFF",
    "theme.secondaryBackgroundColor": "#F3F5F8",
    "theme.textColor": "#1F2933",
}


def command(host: str = "127.0.0.1", port: int = 8501) -> list[str]:
    """argv of `streamlit run` for the dashboard on host:port."""
    streamlit = Path(sys.executable).parent / "streamlit"
    argv = [str(streamlit), "run", str(APP), "--server.address", host, "--server.port", str(port)]
    for key, value in FLAGS.items():
        argv += [f"--{key}", value]
    return argv
