"""A template can turn quality switches off (for a stronger model): a list, empty by default,
so every existing template keeps every switch on. Reversing drops the column."""

import videos.models.templates
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('videos', '0012_summary_quality'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalprompttemplate',
            name='relaxed',
            field=models.JSONField(blank=True, default=list, help_text='Quality switches turned off for this template, for a model strong enough to write its own sentences (inference.config.QUALITY_SWITCHES). Empty: every switch on, as the small CPU model needs.', validators=[videos.models.templates.validate_relaxed]),
        ),
        migrations.AddField(
            model_name='prompttemplate',
            name='relaxed',
            field=models.JSONField(blank=True, default=list, help_text='Quality switches turned off for this template, for a model strong enough to write its own sentences (inference.config.QUALITY_SWITCHES). Empty: every switch on, as the small CPU model needs.', validators=[videos.models.templates.validate_relaxed]),
        ),
    ]
