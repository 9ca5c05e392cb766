import sys
from pathlib import Path

# the live-sandbox and replay helpers of the client tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "client"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
