import sys

from bench.run import main

if sys.argv[1:2] == ["memory"]:
    from bench.memory import main as memory

    sys.exit(memory(sys.argv[2:]))
sys.exit(main())
