from django.core.management.base import BaseCommand, CommandError

from videos.seed import SEED_PATH, load_seed, read_seed


class Command(BaseCommand):
    help = "Load the reference pipeline's prompt, curated examples, videos and transcript excerpts (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(SEED_PATH), help="seed JSON (default: the copy the project ships)")

    def handle(self, *args, **options):
        try:
            seed = read_seed(options["file"])
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the seed file {options['file']}: {exc}") from None
        report = load_seed(seed)
        for line in report.lines():
            self.stdout.write(line)
