"""The one in-process stand-in for the sandbox in tests: the worker's own request handling
(``grading.worker.Server.answer``) on a namespace of this process, with codec round trips
both ways, so that checks see exactly what the sandbox would send (no isolation, no
limits: fast tests of hidden checks against known answers)."""

from grading import codec, worker
from grading.checks import Submission


class InProcessSandbox:
    """Answers ``Submission``'s requests from ``namespace`` (name -> object)."""

    def __init__(self, namespace):
        self.server = worker.Server(None, namespace)

    def request(self, message, timeout):
        reply = self.server.answer(codec.loads(codec.dumps(message)))
        try:
            return codec.loads(codec.dumps(reply))
        except worker.ENCODE_ERRORS as e:
            return worker.encode_error(e)


def InProcess(namespace):  # noqa: N802 - reads like the class it stands in for
    """A :class:`grading.checks.Submission` whose notebook is ``namespace``."""
    return Submission(InProcessSandbox(namespace))
