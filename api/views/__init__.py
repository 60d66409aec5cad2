"""The API's views: each validates its input, calls the pages' selectors or services,
and answers with a serializer's shape."""
