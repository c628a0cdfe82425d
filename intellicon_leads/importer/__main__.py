import sys

from intellicon_leads.importer.cli import main

sys.exit(main())
