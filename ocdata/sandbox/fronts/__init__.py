"""The dialect fronts of the sandbox store: one module (or a few) per wire dialect."""

#: every dialect the sandbox can serve, in the order the client's ``dialect="auto"`` probes them
DIALECTS = ("oc41", "spec", "oc40", "oc30")
