"""The post_cards tag writes what the template engine writes for the same card, escaping included."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import timezone

from posts.models import Post
from posts.templatetags.post_cards import post_cards
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db

# The card as a Django template: what CARD must be, character for character, with Django's autoescape.
REFERENCE = Template(
    """{% load timestamps %}{% for post in posts %}
<article class="d-flex gap-3 py-3 border-bottom post">
  <a href="{% url 'profile' post.author.username %}"><img class="rounded" \
src="{% url 'avatar' post.author.pk %}" alt="" width="48" height="48"></a>
  <div class="flex-grow-1">
    <div class="small text-body-secondary"><a class="user-popup fw-semibold" \
href="{% url 'profile' post.author.username %}" data-popup-url="{% url 'popup' post.author.username %}">\
{{ post.author.username }}</a> · <time datetime="{{ post.timestamp.isoformat }}">\
{{ post.timestamp|naturaltime }}</time></div>
    <p class="mb-0 post-body">{{ post.body }}</p>
  </div>
</article>{% endfor %}"""
)

BODIES = ['<script>alert("x")</script>', 'Tom & Jerry\'s "quote"', "plain", "x" * 140, "नमस्ते <b>दुनिया</b>"]


def test_the_cards_are_the_templates_cards_for_any_text(django_assert_num_queries):
    now = timezone.now()
    authors = [UserFactory(username="a.b-c_d+e@f"), UserFactory(username="plain")]
    for i, body in enumerate(BODIES * 2):
        PostFactory(author=authors[(i // 2) % 2], body=body, timestamp=now - i * datetime.timedelta(hours=7))
    posts = list(Post.objects.select_related("author").order_by("-timestamp"))
    with django_assert_num_queries(0):
        cards = post_cards(posts)
    assert cards == REFERENCE.render(Context({"posts": posts}))
    assert "<script>" not in cards and "&lt;script&gt;" in cards


def test_no_posts_no_cards():
    assert post_cards([]) == ""
