"""Solves one ALTCHA challenge with the `altcha` package from PyPI, an implementation that is
not ours: reads the challenge JSON on stdin, prints the payload the widget would submit
(base64 of JSON with algorithm, challenge, number, salt, signature and took)."""

import base64
import json
import sys

from altcha import solve_challenge_v1

challenge = json.load(sys.stdin)
solution = solve_challenge_v1(
    challenge["challenge"],
    challenge["salt"],
    challenge["algorithm"],
    challenge["maxnumber"],
)
if solution is None:
    sys.exit("no number up to maxnumber solves the challenge")
payload = {
    "algorithm": challenge["algorithm"],
    "challenge": challenge["challenge"],
    "number": solution.number,
    "salt": challenge["salt"],
    "signature": challenge["signature"],
    "took": round(solution.took * 1000, 1),
}
print(base64.b64encode(json.dumps(payload).encode()).decode())
