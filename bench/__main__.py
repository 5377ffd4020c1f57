import sys

from bench.run import main

if sys.argv[1:2] == ["memory"]:
    from bench.memory import main as memory

    sys.exit(memory(sys.argv[2:]))
if sys.argv[1:2] == ["streams"]:
    from bench.streams import main as streams

    sys.exit(streams(sys.argv[2:]))
sys.exit(main())
