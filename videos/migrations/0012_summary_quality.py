"""Each result stores its quality figures (inference.quality: grounded, copied,
repeated, coverage) and the time range of each section (issue 17).

Five nullable columns on the result table: adding them rewrites no row, and the
catalogue's row is untouched. Summaries stored before this stay unmeasured
(null), which the "needs review" filter does not count as below a threshold.
Reversing drops the columns.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("videos", "0011_summary_job_result"),
    ]

    operations = [
        migrations.AddField(
            model_name="summaryresult",
            name="section_times",
            field=models.JSONField(blank=True, help_text="[start, end] seconds of each section's stretch of the video.", null=True),
        ),
        migrations.AddField(
            model_name="summaryresult",
            name="grounded",
            field=models.FloatField(blank=True, help_text="Share of the summary's content words that occur in the transcript.", null=True),
        ),
        migrations.AddField(
            model_name="summaryresult",
            name="copied",
            field=models.FloatField(blank=True, help_text="Share of its word 4-grams taken from a few-shot answer, not the transcript.", null=True),
        ),
        migrations.AddField(
            model_name="summaryresult",
            name="repeated",
            field=models.FloatField(blank=True, help_text="Share of its word 3-grams that repeat an earlier one.", null=True),
        ),
        migrations.AddField(
            model_name="summaryresult",
            name="coverage",
            field=models.FloatField(blank=True, help_text="Share of the video's duration that lies in some section's stretch.", null=True),
        ),
    ]
